"""What a customer, a salesperson or a plain employee can do over RPC.

Every public method and every field of a model is reachable through
``/web/dataset/call_kw`` and XML-RPC by anyone who can read the record: each
test makes the call an attacker would make, as that user, asserts the refusal
and re-reads the data as administrator to show that nothing changed.
"""

from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from .common import AccessMatrixCase, RelationshipCase

R, RW, ALL, NONE = "r---", "rw--", "rwcu", "----"


class RpcCase(RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Jade Garden Teahouse")
        cls.contact = cls.env["res.partner"].create(
            {"name": "Mei Lin", "parent_id": cls.customer.id, "email": "mei@jade.test"}
        )
        cls.portal = new_test_user(
            cls.env,
            login="rpc_portal",
            groups="base.group_portal",
            partner_id=cls.contact.id,
        )
        cls.employee = new_test_user(
            cls.env, login="rpc_employee", groups="base.group_user"
        )
        # a salesperson with "own documents only" and Odoo's contact creation
        # right: the most a salesperson usually has on contacts
        cls.salesman_contacts = new_test_user(
            cls.env,
            login="rpc_salesman_contacts",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        cls.manager = new_test_user(
            cls.env,
            login="rpc_manager",
            groups="sales_team.group_sale_salesman,base.group_partner_manager,"
            "crm_relationship.crm_relationship_group_manager",
        )
        cls._order(cls.customer, days_ago=10, price=250.0)
        cls.customer._relationship_apply_rules()

    def _snapshot(self, partner, names):
        partner.invalidate_recordset()
        return {name: partner[name] for name in names}


class TestSystemFigures(RpcCase):
    """Hole 4: figures computed by the system cannot be forged."""

    FIGURES = {
        "relationship_revenue_12m": 1e9,
        "relationship_order_count": 99,
        "relationship_last_order_date": "2020-01-01",
        "relationship_rules_date": "2020-01-01",
        "relationship_stage_date": "2020-01-01 00:00:00",
    }

    def test_salesperson_cannot_write_figures(self):
        before = self._snapshot(self.customer, self.FIGURES)
        for name, value in self.FIGURES.items():
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.customer.with_user(self.salesman_contacts).write({name: value})
        self.assertEqual(self._snapshot(self.customer, self.FIGURES), before)
        self.assertEqual(before["relationship_order_count"], 1)

    def test_context_keys_do_not_lift_the_guard(self):
        before = self._snapshot(self.customer, self.FIGURES)
        sneaky = self.customer.with_user(self.salesman_contacts).with_context(
            relationship_automatic=True, tracking_disable=True, install_mode=True
        )
        with self.assertRaises(AccessError):
            sneaky.write({"relationship_revenue_12m": 1.0})
        self.assertEqual(self._snapshot(self.customer, self.FIGURES), before)

    def test_figures_cannot_be_set_at_creation(self):
        Partner = self.env["res.partner"].with_user(self.salesman_contacts)
        with self.assertRaises(AccessError):
            Partner.create({"name": "Forged", "relationship_order_count": 12})
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Forged")]))

    def test_administrator_correction_is_posted(self):
        customer = self.customer.with_user(self.manager)
        customer.write({"relationship_rules_date": "2020-01-01"})
        self.customer.invalidate_recordset()
        self.assertEqual(
            self.customer.relationship_rules_date, fields.Date.to_date("2020-01-01")
        )
        note = self.customer.message_ids[:1]
        self.assertIn("corrected figures computed by the system", note.body)
        self.assertEqual(note.author_id, self.manager.partner_id)


class TestStageChanges(RpcCase):
    """Hole 4 / T24: a mandatory reason cannot be skipped; hole 5: moving a
    stage needs no write access on contacts."""

    def test_reason_cannot_be_skipped_by_a_context_key(self):
        decline = self.stage["decline"]
        before = self.customer.relationship_stage_id
        history = len(self.customer.relationship_history_ids)
        reason = self.env.ref("crm_relationship.reason_price")
        for ctx in (
            {"relationship_automatic": True},
            {"relationship_reason_id": reason.id, "relationship_note": "forged"},
        ):
            with self.subTest(ctx=ctx), self.assertRaises(UserError):
                self.customer.with_user(self.salesman_contacts).with_context(
                    **ctx
                ).write({"relationship_stage_id": decline.id})
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.relationship_stage_id, before)
        self.assertEqual(len(self.customer.relationship_history_ids), history)

    def test_current_company_does_not_choose_the_rule(self):
        """A customer shared by every company needs a reason as soon as one
        company of the user asks for it, whatever company the client sends."""
        lax = self.env["res.company"].create(
            {"name": "Lax Teas", "relationship_require_reason": False}
        )
        self.salesman.company_ids |= lax
        self.assertTrue(self.company.relationship_require_reason)
        self.assertFalse(self.customer.company_id)
        before = self.customer.relationship_stage_id
        partner = self.customer.with_user(self.salesman).with_company(lax)
        with self.assertRaises(UserError):
            partner._relationship_set_stage(self.stage["decline"])
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.relationship_stage_id, before)

    def test_plain_employee_cannot_move_a_customer(self):
        before = self.customer.relationship_stage_id
        stability = self.stage["stability"]
        partner = self.customer.with_user(self.employee)
        with self.assertRaises(AccessError):
            partner.action_relationship_drop_on_stage(stability.id)
        with self.assertRaises(AccessError):
            partner.action_relationship_change_stage()
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.relationship_stage_id, before)

    def test_salesperson_moves_without_write_access_on_contacts(self):
        partner = self.customer.with_user(self.salesman)
        self.assertFalse(partner.has_access("write"))
        result = partner.action_relationship_drop_on_stage(self.stage["stability"].id)
        self.assertFalse(result)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.relationship_stage_id, self.stage["stability"])
        row = self.customer.relationship_history_ids.sorted("id")[-1]
        self.assertEqual(row.user_id, self.salesman)
        self.assertFalse(row.automatic)
        # a stage that needs a reason answers with the wizard, nothing moved
        action = partner.action_relationship_drop_on_stage(self.stage["decline"].id)
        self.assertEqual(action["res_model"], "crm.relationship.stage.change")
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.relationship_stage_id, self.stage["stability"])

    def test_salesperson_cannot_write_contacts(self):
        """Hole 5: no blanket write on res.partner for salespeople."""
        other = self._customer("Other Customer")
        before = self._snapshot(self.contact, ["parent_id", "email", "name"])
        for vals in (
            {"parent_id": other.id},
            {"email": "attacker@evil.test"},
            {"relationship_stage_locked": True},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self.contact.with_user(self.salesman).write(vals)
        self.assertEqual(
            self._snapshot(self.contact, ["parent_id", "email", "name"]), before
        )


class TestOwnerAndTier(RpcCase):
    """Who owns a customer opens its complaints to an "own documents"
    salesperson, and the tier sets the pricelist of new quotations: both are
    decided by relationship administrators (review of hole 3 and 5)."""

    def test_salesperson_cannot_take_over_a_colleague_customer(self):
        colleague = new_test_user(
            self.env, login="rpc_colleague", groups="sales_team.group_sale_salesman"
        )
        customer = self._customer("Colleague Teas", user_id=colleague.id)
        self.assertEqual(customer.relationship_owner_id, colleague)
        complaint = self.env["crm.relationship.complaint"].create(
            {"partner_id": customer.id, "subject": "Late parcel"}
        )
        as_salesman = customer.with_user(self.salesman_contacts)
        Complaint = self.env["crm.relationship.complaint"].with_user(
            self.salesman_contacts
        )
        self.assertFalse(Complaint.search([("id", "=", complaint.id)]))
        with self.assertRaises(AccessError):
            as_salesman.write({"relationship_owner_id": self.salesman_contacts.id})
        # the salesperson of the contact is Odoo's field: writing it does not
        # make the customer theirs (the owner stays)
        as_salesman.write({"user_id": self.salesman_contacts.id})
        customer.invalidate_recordset()
        self.assertEqual(customer.relationship_owner_id, colleague)
        self.assertFalse(Complaint.search([("id", "=", complaint.id)]))

    def test_only_administrators_set_owner_and_tier(self):
        gold = self.env.ref("crm_relationship.tier_gold")
        before = self._snapshot(
            self.customer,
            ["value_tier_id", "value_tier_locked", "relationship_owner_id"],
        )
        for user in (self.salesman_contacts, self.employee):
            for vals in (
                {"value_tier_id": gold.id},
                {"value_tier_locked": True},
                {"relationship_owner_id": user.id},
            ):
                with self.subTest(user=user.login, vals=vals):
                    with self.assertRaises(AccessError):
                        self.customer.with_user(user).write(vals)
        self.assertEqual(
            self._snapshot(
                self.customer,
                ["value_tier_id", "value_tier_locked", "relationship_owner_id"],
            ),
            before,
        )
        self.customer.with_user(self.manager).write(
            {"value_tier_id": gold.id, "value_tier_locked": True}
        )
        self.assertEqual(self.customer.value_tier_id, gold)

    def test_new_contact_gets_its_owner(self):
        """Creating a contact with a salesperson is not a change of owner."""
        partner = (
            self.env["res.partner"]
            .with_user(self.salesman_contacts)
            .create(
                {
                    "name": "Fresh Leaf",
                    "is_company": True,
                    "user_id": self.salesman_contacts.id,
                }
            )
        )
        self.assertEqual(partner.relationship_owner_id, self.salesman_contacts)


class TestInternalPartnerFields(RpcCase):
    """Hole 6: a customer does not read how we rate them."""

    def test_portal_cannot_read_own_relationship_fields(self):
        partner = self.portal.partner_id.commercial_partner_id.with_user(self.portal)
        for name in (
            "relationship_stage_id",
            "value_tier_id",
            "relationship_revenue_12m",
            "relationship_order_count",
            "relationship_owner_id",
            "complaint_rate",
        ):
            with self.subTest(field=name), self.assertRaises(AccessError):
                partner.read([name])
        self.assertEqual(partner.read(["name"])[0]["name"], "Jade Garden Teahouse")

    def test_portal_cannot_read_stage_through_an_order(self):
        order = self.env["sale.order"].search(
            [("partner_id", "=", self.customer.id)], limit=1
        )
        order.message_subscribe(partner_ids=self.contact.ids)
        as_portal = order.with_user(self.portal)
        self.assertEqual(as_portal.read(["name"])[0]["name"], order.name)
        for name in ("relationship_stage_id", "value_tier_id", "complaint_count"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                as_portal.read([name])


class TestPublicMethods(RpcCase):
    """Hole 8: batch entry points check the caller first."""

    def test_apply_rules_is_refused_to_portal_and_employees(self):
        self.env.cr.execute(
            "UPDATE res_partner SET relationship_rules_date = NULL WHERE id = %s",
            [self.customer.id],
        )
        self.customer.invalidate_recordset()
        for user in (self.portal, self.employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.customer.with_user(user).action_relationship_apply_rules()
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.relationship_rules_date)

    def test_public_methods_of_res_partner_are_known(self):
        """A new public method on res.partner must be reviewed here."""
        reviewed = {
            # CRUD overrides: the guard of system figures and stage changes
            "create",
            "write",
            "action_relationship_apply_rules",
            "action_relationship_change_stage",
            "action_relationship_drop_on_stage",
            "action_view_complaints",
        }
        Partner = type(self.env["res.partner"])
        ours = {
            name
            for cls in Partner.__mro__
            if getattr(cls, "_module", None) == "crm_relationship"
            for name, member in vars(cls).items()
            if callable(member) and not name.startswith("_")
        }
        self.assertEqual(ours - reviewed, set())


class TestFiguresPerCompany(RpcCase):
    """Hole 10: company B does not read company A's revenue."""

    def test_shared_customer_figures_are_per_company(self):
        company_b = self.env["res.company"].create({"name": "Tea Leaf Ltd (B)"})
        user_b = new_test_user(
            self.env,
            login="rpc_salesman_b",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        self.assertFalse(self.customer.company_id, "shared by every company")
        # an order in company B too, so that both have figures of their own
        order_b = (
            self.env["sale.order"]
            .with_company(company_b)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": company_b.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": self.product.id,
                                "product_uom_qty": 2,
                                "price_unit": 40.0,
                            },
                        )
                    ],
                }
            )
        )
        order_b.action_confirm()
        self.customer._relationship_apply_rules()
        seen_a = self.customer.with_company(self.company)
        self.assertEqual(seen_a.relationship_order_count, 1)
        self.assertAlmostEqual(seen_a.relationship_revenue_12m, 250.0)
        seen_b = self.customer.with_user(user_b).with_company(company_b)
        self.assertEqual(seen_b.relationship_order_count, 1)
        self.assertAlmostEqual(seen_b.relationship_revenue_12m, 80.0)
        # searching and grouping read the reader's company too
        Partner_b = self.env["res.partner"].with_user(user_b).with_company(company_b)
        self.assertNotIn(
            self.customer,
            Partner_b.search([("relationship_revenue_12m", ">", 100)]),
        )


class TestJobFailures(RpcCase):
    """Hole 12: a failing job is reported where administrators look."""

    def test_failed_rules_job_is_reported_then_resolved(self):
        Failure = self.env["crm.relationship.job.failure"]
        self.assertFalse(Failure.search([("job", "=", "crm_relationship.rules")]))
        Partner = type(self.env["res.partner"])
        with patch.object(
            Partner,
            "_relationship_apply_rules",
            side_effect=RuntimeError("the order table is locked"),
        ):
            self.assertFalse(self.env["res.partner"]._cron_relationship_rules())
        failure = Failure.search([("job", "=", "crm_relationship.rules")])
        self.assertEqual(len(failure), 1)
        self.assertEqual(failure.state, "failed")
        self.assertIn("the order table is locked", failure.error)
        self.assertIn("RuntimeError", failure.details)
        todo = failure.activity_ids.filtered(lambda a: a.user_id == self.manager)
        self.assertTrue(todo, "every relationship administrator gets a to-do")
        # a second failure does not pile up records or to-dos
        with patch.object(
            Partner, "_relationship_apply_rules", side_effect=RuntimeError("again")
        ):
            self.env["res.partner"]._cron_relationship_rules()
        self.assertEqual(
            Failure.search([("job", "=", "crm_relationship.rules")]), failure
        )
        self.assertEqual(failure.failure_count, 2)
        self.assertEqual(
            len(failure.activity_ids.filtered(lambda a: a.user_id == self.manager)), 1
        )
        # the next run retries and resolves the failure
        self.env.cr.execute(
            "UPDATE res_partner SET relationship_rules_date = NULL WHERE id = %s",
            [self.customer.id],
        )
        self.customer.invalidate_recordset()
        self.assertTrue(self.env["res.partner"]._cron_relationship_rules())
        self.assertEqual(failure.state, "resolved")
        self.assertFalse(failure.activity_ids)
        self.assertEqual(self.customer.relationship_rules_date, fields.Date.today())

    def test_a_run_for_one_company_resolves_only_its_failures(self):
        Failure = self.env["crm.relationship.job.failure"]
        other = self.env["res.company"].create({"name": "Other Teas"})
        for company in (self.company, other, None):
            Failure._record_failure(
                "crm_relationship.test", "Test job", RuntimeError("x"), company=company
            )
        Failure._run_job("crm_relationship.test", "Test job", lambda: True, other)
        failures = Failure.search([("job", "=", "crm_relationship.test")])
        self.assertEqual(
            {(f.company_id, f.state) for f in failures},
            {
                (self.company, "failed"),
                (other, "resolved"),
                (self.env["res.company"], "failed"),
            },
        )
        # a job that could not run (another run held its lock) resolves nothing
        Failure._run_job("crm_relationship.test", "Test job", lambda: None)
        self.assertEqual(len(failures.filtered(lambda f: f.state == "failed")), 2)

    def test_failures_are_for_administrators_only(self):
        failure = self.env["crm.relationship.job.failure"]._record_failure(
            "crm_relationship.test", "Test job", RuntimeError("boom")
        )
        for user in (self.salesman, self.employee, self.portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                failure.with_user(user).read(["error"])
        with self.assertRaises(AccessError):
            failure.with_user(self.salesman).action_resolve()
        self.assertEqual(failure.state, "failed")
        failure.with_user(self.manager).action_resolve()
        self.assertEqual(failure.state, "resolved")


@tagged("post_install", "-at_install")
class TestXmlRpcSurface(HttpCase):
    """The same refusal through the real XML-RPC endpoint."""

    def test_xmlrpc_write_of_figures_is_refused(self):
        new_test_user(
            self.env,
            login="xmlrpc_salesman",
            password="xmlrpc_salesman_pw",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        customer = self.env["res.partner"].create(
            {"name": "XML-RPC Customer", "is_company": True}
        )
        uid = self.xmlrpc_common.authenticate(
            self.env.cr.dbname, "xmlrpc_salesman", "xmlrpc_salesman_pw", {}
        )
        self.assertTrue(uid)
        with self.assertRaises(Exception) as refused:
            self.xmlrpc_object.execute(
                self.env.cr.dbname,
                uid,
                "xmlrpc_salesman_pw",
                "res.partner",
                "write",
                [customer.id],
                {"relationship_revenue_12m": 1000000.0},
            )
        self.assertIn("computed by the system", str(refused.exception))
        customer.invalidate_recordset()
        self.assertEqual(customer.relationship_revenue_12m, 0.0)


class TestBaseAccessMatrix(AccessMatrixCase, TransactionCase):
    """ACL × record rules of every model of crm_relationship (T8)."""

    ADDON = "crm_relationship"
    MATRIX = {
        # configuration: relationship users read, administrators configure
        **{
            model: {
                "public": (NONE, NONE),
                "portal": (NONE, NONE),
                "employee": (NONE, NONE),
                "salesman_own": (R, R),
                "salesman_all": (R, R),
                "manager": (ALL, ALL),
            }
            for model in (
                "crm.relationship.stage",
                "crm.relationship.reason",
                "crm.relationship.tier",
                "crm.relationship.sla.policy",
            )
        },
        # read by customers on the portal (labels of their complaints)
        **{
            model: {
                "public": (NONE, NONE),
                "portal": (R, R),
                "employee": (NONE, NONE),
                "salesman_own": (R, R),
                "salesman_all": (R, R),
                "manager": (ALL, ALL),
            }
            for model in (
                "crm.relationship.complaint.stage",
                "crm.relationship.complaint.category",
            )
        },
        "crm.relationship.stage.history": {
            "public": (NONE, NONE),
            "portal": (NONE, NONE),
            "employee": (NONE, NONE),
            "salesman_own": (R, R),
            "salesman_all": (R, R),
            "manager": (ALL, ALL),
        },
        "crm.relationship.stage.duration": {
            "public": (NONE, None),
            "portal": (NONE, None),
            "employee": (NONE, None),
            "salesman_own": (R, None),
            "salesman_all": (R, None),
            "manager": (R, None),
        },
        "crm.relationship.stage.change": {
            "public": (NONE, None),
            "portal": (NONE, None),
            "employee": (NONE, None),
            "salesman_own": (ALL, None),
            "salesman_all": (ALL, None),
            "manager": (ALL, None),
        },
        # a complaint of another salesperson's customer (record column)
        "crm.relationship.complaint": {
            "public": (NONE, NONE),
            "portal": ("r---", NONE),
            "employee": (NONE, NONE),
            "salesman_own": ("rwc-", NONE),
            "salesman_all": ("rwc-", "rwc-"),
            "manager": (ALL, ALL),
        },
        "crm.relationship.job.failure": {
            "public": (NONE, NONE),
            "portal": (NONE, NONE),
            "employee": (NONE, NONE),
            "salesman_own": (NONE, NONE),
            "salesman_all": (NONE, NONE),
            "manager": (RW, RW),
        },
        # demo generator (abstract: no table, no access)
        "crm.relationship.demo": {
            role: (NONE, None)
            for role in (
                "public",
                "portal",
                "employee",
                "salesman_own",
                "salesman_all",
                "manager",
            )
        },
        # inherited: the addon gives salespeople no write on contacts (hole 5)
        "res.partner": {
            "public": (R, None),
            "portal": (R, None),
            "employee": (R, None),
            "salesman_own": (R, None),
            "salesman_all": (R, None),
            "manager": (R, None),
        },
    }

    def _matrix_samples(self):
        colleague = new_test_user(
            self.env, login="matrix_colleague", groups="sales_team.group_sale_salesman"
        )
        customer = self.env["res.partner"].create(
            {"name": "Matrix Customer", "is_company": True, "user_id": colleague.id}
        )
        complaint = self.env["crm.relationship.complaint"].create(
            {
                "partner_id": customer.id,
                "subject": "Broken teapot",
                "user_id": colleague.id,
            }
        )
        failure = self.env["crm.relationship.job.failure"]._record_failure(
            "crm_relationship.matrix", "Matrix job", RuntimeError("boom")
        )
        return {
            "crm.relationship.stage": self.env.ref("crm_relationship.stage_prospect"),
            "crm.relationship.reason": self.env["crm.relationship.reason"].search(
                [], limit=1
            ),
            "crm.relationship.tier": self.env.ref("crm_relationship.tier_gold"),
            "crm.relationship.sla.policy": self.env[
                "crm.relationship.sla.policy"
            ].search([], limit=1),
            "crm.relationship.complaint.stage": complaint.stage_id,
            "crm.relationship.complaint.category": self.env[
                "crm.relationship.complaint.category"
            ].search([], limit=1),
            "crm.relationship.stage.history": customer.relationship_history_ids[:1],
            "crm.relationship.complaint": complaint,
            "crm.relationship.job.failure": failure,
        }
