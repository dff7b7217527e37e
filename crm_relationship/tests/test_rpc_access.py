"""What a customer, a salesperson, an e-mail sender or a plain employee can
do over RPC (issue 12).

Every public method and every field of a model is reachable through
``/web/dataset/call_kw`` and XML-RPC by anyone who can read the record: each
test makes the call an attacker would make, as that user (``with_user``, HTTP
or the real XML-RPC endpoint), asserts the refusal and re-reads the data as
administrator to show that nothing changed. First the customers (stages,
figures, owners, jobs, the access matrix), then the complaints.
"""

import time
from unittest.mock import patch
from urllib.parse import urlencode

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, TransactionCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.crm_relationship.models import (
    crm_relationship_complaint as complaint_module,
)
from odoo.addons.crm_relationship.models.crm_relationship_complaint import (
    MANAGED_FIELDS,
    SYSTEM_FIELDS,
)

from .common import AccessMatrixCase, RelationshipCase
from .test_complaint_portal import DENIED_LOGGERS, ComplaintPortalCase
from .test_complaints import EMAIL, ComplaintCase

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
        customer.write({"relationship_stage_date": "2020-01-01 00:00:00"})
        self.customer.invalidate_recordset()
        self.assertEqual(
            self.customer.relationship_stage_date,
            fields.Datetime.to_datetime("2020-01-01 00:00:00"),
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
        # an order the rules have not counted yet
        self._order(self.customer, days_ago=1)
        before = self._snapshot(self.customer, ["relationship_order_count"])
        for user in (self.portal, self.employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.customer.with_user(user).action_relationship_apply_rules()
        self.assertEqual(
            self._snapshot(self.customer, ["relationship_order_count"]), before
        )

    def test_mailing_actions_are_refused_to_customers_and_employees(self):
        public = self.env.ref("base.public_user")
        contacts = self.env["mailing.contact"].search_count([])
        for user in (self.portal, public, self.employee):
            for method in (
                "action_relationship_send_mailing",
                "action_relationship_add_to_mailing_list",
            ):
                with (
                    self.subTest(user=user.login, method=method),
                    self.assertRaises(AccessError),
                ):
                    getattr(self.customer.with_user(user), method)()
        self.assertEqual(self.env["mailing.contact"].search_count([]), contacts)

    def test_public_methods_of_res_partner_are_known(self):
        """A new public method on res.partner must be reviewed here."""
        reviewed = {
            # CRUD overrides: the guard of system figures and stage changes
            "create",
            "write",
            # relationship users; Email Marketing checks its own rights
            "action_relationship_send_mailing",
            "action_relationship_add_to_mailing_list",
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
        self.assertTrue(self.env["res.partner"]._cron_relationship_rules())
        self.assertEqual(failure.state, "resolved")
        self.assertFalse(failure.activity_ids)
        self.assertIsNone(
            self.env["crm.relationship.job.failure"]._job_progress(
                "crm_relationship.rules", fields.Date.today()
            )
        )

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
        # moves of customers: read by relationship users, written by the
        # system only (automation rules react to their creation)
        "crm.relationship.transition": {
            "public": (NONE, NONE),
            "portal": (NONE, NONE),
            "employee": (NONE, NONE),
            "salesman_own": (R, R),
            "salesman_all": (R, R),
            "manager": (R, R),
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
        # cohort retention (SQL view): read by relationship users, the row
        # of a customer of the company (record column)
        "crm.relationship.cohort": {
            "public": (NONE, NONE),
            "portal": (NONE, NONE),
            "employee": (NONE, NONE),
            "salesman_own": (R, R),
            "salesman_all": (R, R),
            "manager": (R, R),
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
            "crm.relationship.transition": self.env[
                "crm.relationship.transition"
            ]._transition_create(
                [
                    {
                        "partner_id": customer.id,
                        "kind": "stage",
                        "from_stage_id": self.env.ref(
                            "crm_relationship.stage_prospect"
                        ).id,
                        "to_stage_id": self.env.ref(
                            "crm_relationship.stage_exploration"
                        ).id,
                    }
                ]
            ),
            "crm.relationship.complaint": complaint,
            "crm.relationship.job.failure": failure,
            "crm.relationship.cohort": self._matrix_cohort_sample(customer),
        }

    def _matrix_cohort_sample(self, customer):
        """A row of the cohort report: the customer's first confirmed order."""
        product = self.env["product.product"].create({"name": "Matrix tea"})
        order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [(0, 0, {"product_id": product.id, "price_unit": 10})],
            }
        )
        order.action_confirm()
        self.env.flush_all()
        return self.env["crm.relationship.cohort"].search(
            [("partner_id", "=", customer.id)], limit=1
        )


# ----------------------------------------------------------------------------
# Complaints
# ----------------------------------------------------------------------------
# The RPC surface of complaints: every call an attacker can make, refused.
#
# Every public method and every field of a complaint is reachable through
# ``/web/dataset/call_kw`` and XML-RPC by whoever may read the record. Each test
# makes the attacker's call as that user (``with_user`` or HTTP), checks the
# refusal and re-reads the complaint as administrator.
#
# Users (company of the test, ``ComplaintCase``)::
#
#     salesman          "own documents" salesperson, owner of ``customer``
#     colleague         "own documents" salesperson, owner of ``other_customer``
#     salesman_all      "all documents" salesperson
#     handler           relationship user who is no salesperson (complaint desk)
#     manager           relationship administrator
#     plain_employee    internal user, no relationship group
#     portal_a          portal user, a person of ``customer``
#     portal_b          portal user, a person of ``other_customer``

GATEWAY_LOGGERS = (
    "odoo.addons.mail.models.mail_thread",
    "odoo.addons.mail.models.mail_alias",
)
INTERNAL_FIELDS = (
    "root_cause",
    "corrective_action",
    "preventive_action",
    "dispute_level",
    "compensation_amount",
    "escalated",
    "sla_status",
    "sla_compliance",
    "sla_policy_id",
    "acknowledge_deadline",
    "resolve_deadline",
    "acknowledge_risk_date",
    "resolve_risk_date",
    "acknowledge_warned",
    "acknowledge_escalated",
    "resolve_warned",
    "resolve_escalated",
    "time_to_acknowledge",
    "time_to_resolve",
    "severity",
    "priority_rank",
    "reopen_count",
    "sender_partner_id",
    "color",
)


class ComplaintRpcCase(ComplaintCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.colleague = new_test_user(
            cls.env,
            login="rpc_cmp_colleague",
            groups="sales_team.group_sale_salesman",
            name="Colleague",
        )
        cls.salesman_all = new_test_user(
            cls.env,
            login="rpc_cmp_salesman_all",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        cls.handler = new_test_user(
            cls.env,
            login="rpc_cmp_handler",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="rpc_cmp_manager",
            groups="crm_relationship.crm_relationship_group_manager",
        )
        cls.plain_employee = new_test_user(
            cls.env, login="rpc_cmp_employee", groups="base.group_user"
        )
        cls.other_customer = cls._customer(
            "Harbour Tea Traders", user_id=cls.colleague.id
        )
        cls.portal_a = new_test_user(
            cls.env, login="rpc_cmp_portal_a", groups="base.group_portal"
        )
        cls.portal_a.partner_id.write(
            {"parent_id": cls.customer.id, "email": "mei@lotus.example.com"}
        )
        cls.portal_b = new_test_user(
            cls.env, login="rpc_cmp_portal_b", groups="base.group_portal"
        )
        cls.portal_b.partner_id.parent_id = cls.other_customer

    def _snapshot(self, complaint, names):
        """The values of ``names``, read as administrator."""
        complaint.invalidate_recordset()
        return complaint.sudo().read(list(names))[0]

    def _tracked(self, complaint, name):
        self.env.flush_all()
        self.env.cr.precommit.run()
        return complaint.message_ids.tracking_value_ids.filtered(
            lambda v: v.field_id.name == name
        )


class TestComplaintSalespersonScope(ComplaintRpcCase):
    """Hole 3 (T23): "own documents" salespeople see their customers' only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mine = cls.Complaint.create(
            {"partner_id": cls.customer.id, "subject": "Customer of mine"}
        )
        cls.owned = cls.Complaint.create(
            {
                "partner_id": cls.other_customer.id,
                "user_id": cls.salesman.id,
                "subject": "Owned",
            }
        )
        cls.followed = cls.Complaint.create(
            {"partner_id": cls.other_customer.id, "subject": "Followed"}
        )
        cls.followed.message_subscribe(partner_ids=cls.salesman.partner_id.ids)
        handed_over = cls._customer("Handed over", user_id=cls.colleague.id)
        handed_over.relationship_owner_id = cls.salesman
        cls.relationship_owner = cls.Complaint.create(
            {
                "partner_id": handed_over.id,
                "user_id": cls.colleague.id,
                "subject": "Relationship owner",
            }
        )
        order = cls._order(cls.other_customer, user_id=cls.salesman.id)
        cls.on_my_order = cls.Complaint.create(
            {
                "partner_id": cls.other_customer.id,
                "sale_order_id": order.id,
                "subject": "My order",
            }
        )
        cls.foreign = cls.Complaint.create(
            {"partner_id": cls.other_customer.id, "subject": "A colleague's"}
        )
        cls.unidentified = cls.Complaint.create(
            {"channel": "email", "subject": "Who sent this?"}
        )
        cls.everything = (
            cls.mine
            | cls.owned
            | cls.followed
            | cls.relationship_owner
            | cls.on_my_order
            | cls.foreign
            | cls.unidentified
        )

    def _visible(self, user):
        return self.Complaint.with_user(user).search(
            [("id", "in", self.everything.ids)]
        )

    def test_own_documents_salesman_lists_only_their_complaints(self):
        self.assertEqual(self.foreign.user_id, self.colleague)
        self.assertEqual(
            self._visible(self.salesman),
            self.mine
            | self.owned
            | self.followed
            | self.relationship_owner
            | self.on_my_order,
        )
        self.assertEqual(
            self.Complaint.with_user(self.salesman).search_count(
                [("id", "=", self.foreign.id)]
            ),
            0,
        )

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_own_documents_salesman_cannot_read_or_write_a_colleagues(self):
        before = self._snapshot(self.foreign, ["subject", "user_id", "stage_id"])
        as_salesman = self.foreign.with_user(self.salesman)
        with self.assertRaises(AccessError):
            as_salesman.read(["subject"])
        with self.assertRaises(AccessError):
            as_salesman.write({"subject": "Taken over", "user_id": self.salesman.id})
        with self.assertRaises(AccessError):
            as_salesman.action_acknowledge()
        with self.assertRaises(AccessError):
            self.unidentified.with_user(self.salesman).read(["subject"])
        self.assertEqual(
            self._snapshot(self.foreign, ["subject", "user_id", "stage_id"]), before
        )

    def test_all_documents_handlers_and_managers_see_all(self):
        for user in (self.salesman_all, self.handler, self.manager):
            self.assertEqual(self._visible(user), self.everything, user.login)

    def test_own_documents_salesman_logs_a_complaint_for_a_colleagues_customer(self):
        logged = self.Complaint.with_user(self.salesman).create(
            {"partner_id": self.other_customer.id, "subject": "Phoned in"}
        )
        self.assertEqual(logged.user_id, self.colleague)
        self.assertEqual(
            self.Complaint.with_user(self.salesman).search([("id", "=", logged.id)]),
            logged,
        )
        logged.with_user(self.salesman).write({"description": "<p>Details</p>"})

    def test_other_roles(self):
        with self.assertRaises(AccessError):
            self.Complaint.with_user(self.plain_employee).search([])
        self.assertEqual(
            self.Complaint.with_user(self.portal_a).search(
                [("id", "in", self.everything.ids)]
            ),
            self.mine,
        )


class TestComplaintServiceLevelForgery(ComplaintRpcCase):
    """Hole 4 (T22, T24): SLA figures and workflow dates are the system's."""

    FORGED = {
        "name": "CMP/FORGED",
        "priority_rank": 9,
        "acknowledge_deadline": "2030-01-01 00:00:00",
        "resolve_deadline": "2030-01-01 00:00:00",
        "acknowledge_risk_date": "2030-01-01 00:00:00",
        "resolve_risk_date": "2030-01-01 00:00:00",
        "sla_status": "met",
        "sla_compliance": 100.0,
        "time_to_acknowledge": 0.5,
        "time_to_resolve": 1.0,
        "escalated": False,
        "date_received": "2030-01-01 00:00:00",
        "date_acknowledged": "2026-11-20 17:05:00",
        "date_resolved": "2026-11-20 17:10:00",
        "date_closed": "2026-11-20 17:15:00",
        "acknowledge_warned": True,
        "acknowledge_escalated": False,
        "resolve_warned": True,
        "resolve_escalated": False,
        "reopen_count": 0,
        "customer_acceptance": "yes",
    }

    def setUp(self):
        super().setUp()
        self.complaint = self._complaint()
        # the creation is logged; what follows is tracked
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.other_policy = self.policy.copy({"name": "Generous"})
        self.forged = dict(self.FORGED, sla_policy_id=self.other_policy.id)

    def test_every_protected_field_is_forged_in_this_test(self):
        self.assertEqual(set(self.forged), SYSTEM_FIELDS | MANAGED_FIELDS)

    @mute_logger("odoo.models")
    def test_salesman_cannot_write_service_level_figures(self):
        self.complaint.write({"acknowledge_escalated": True})  # as the job would
        names = sorted(self.forged)
        before = self._snapshot(self.complaint, names)
        as_salesman = self.complaint.with_user(self.salesman)
        self.assertTrue(as_salesman.has_access("write"))
        for name, value in self.forged.items():
            for context in (
                {},
                {
                    "tracking_disable": True,
                    "mail_notrack": True,
                    "install_mode": True,
                    "active_test": False,
                },
            ):
                with self.subTest(field=name, context=context):
                    with self.assertRaises(AccessError):
                        as_salesman.with_context(**context).write({name: value})
        # the complaint desk neither
        for name, value in self.forged.items():
            with self.subTest(field=name, user="handler"):
                with self.assertRaises(AccessError):
                    self.complaint.with_user(self.handler).write({name: value})
        self.assertEqual(self._snapshot(self.complaint, names), before)

    def test_salesman_cannot_create_with_service_level_figures(self):
        Complaint = self.Complaint.with_user(self.salesman)
        base = {"partner_id": self.customer.id, "subject": "Forged"}
        count = self.Complaint.search_count([])
        for name, value in self.forged.items():
            if name in ("name", "date_received") or not value:
                continue
            with self.subTest(field=name):
                with self.assertRaises(AccessError):
                    Complaint.create(dict(base, **{name: value}))
        with self.assertRaisesRegex(UserError, "in the future"):
            Complaint.create(dict(base, date_received="2099-01-01 00:00:00"))
        self.assertEqual(self.Complaint.search_count([]), count)
        # the reference comes from the sequence; a past reception is fine
        created = Complaint.create(
            dict(base, name="CMP/2020/00001", date_received="2026-01-05 09:00:00")
        )
        self.assertRegex(created.name, r"^CMP/\d{4}/\d{5}$")
        self.assertNotEqual(created.name, "CMP/2020/00001")
        self.assertEqual(
            created.date_received, fields.Datetime.to_datetime("2026-01-05 09:00:00")
        )
        # what a form sends when creating (empty values) is accepted
        Complaint.create(
            dict(
                base, date_acknowledged=False, acknowledge_warned=False, reopen_count=0
            )
        )

    def test_administrator_corrects_dates_and_policy_tracked(self):
        complaint = self.complaint.with_user(self.manager)
        complaint.write(
            {
                "sla_policy_id": self.other_policy.id,
                "date_received": "2026-11-19 09:00:00",
                "date_acknowledged": "2026-11-19 10:00:00",
            }
        )
        self.assertEqual(self.complaint.sla_policy_id, self.other_policy)
        for name in (
            "sla_policy_id",
            "date_received",
            "date_acknowledged",
            "acknowledge_deadline",
            "resolve_deadline",
        ):
            self.assertTrue(self._tracked(self.complaint, name), name)
        # computed figures follow their inputs; nobody writes them
        with self.assertRaises(AccessError):
            complaint.write({"resolve_deadline": "2030-01-01 00:00:00"})
        self.complaint.sudo().write({"resolve_warned": True})  # the system, sudo

    def test_stage_changes_are_tracked_whatever_the_context(self):
        complaint = self.complaint.with_user(self.salesman).with_context(
            tracking_disable=True, mail_notrack=True
        )
        complaint.action_acknowledge()
        self.assertEqual(self.complaint.state, "acknowledged")
        self.assertTrue(self._tracked(self.complaint, "stage_id"))
        self.assertTrue(self._tracked(self.complaint, "date_acknowledged"))

    def test_the_form_still_works_for_a_salesman(self):
        critical = self.policy.copy({"name": "Critical", "severity": "critical"})
        with Form(self.Complaint.with_user(self.salesman)) as form:
            form.partner_id = self.customer
            form.subject = "Logged from the form"
        created = form.record
        self.assertEqual(created.sudo().sla_policy_id, self.policy)
        with Form(created) as form:
            form.severity = "critical"
        self.assertEqual(created.sudo().sla_policy_id, critical)
        with Form(self.complaint.with_user(self.manager)) as form:
            form.sla_policy_id = self.other_policy
        self.assertEqual(self.complaint.sla_policy_id, self.other_policy)


class TestComplaintInternalFields(ComplaintRpcCase):
    """Hole 6 (complaint part): what is internal is for employees only."""

    def test_portal_user_reads_only_the_customer_fields(self):
        complaint = self._complaint(
            root_cause="Supplier batch 42 was never checked",
            compensation_amount=30.0,
            dispute_level="mediation",
        )
        as_portal = complaint.with_user(self.portal_a)
        for name in INTERNAL_FIELDS:
            with self.subTest(field=name):
                with self.assertRaises(AccessError):
                    as_portal.read([name])
        values = as_portal.read(["name", "subject", "state", "date_received"])[0]
        self.assertEqual(values["subject"], "Broken teapot")
        # a search with the model's default order works for the portal
        found = self.Complaint.with_user(self.portal_a).search_read(
            [], ["name", "subject"]
        )
        self.assertEqual([row["id"] for row in found], complaint.ids)
        described = self.Complaint.with_user(self.portal_a).fields_get()
        self.assertFalse(set(INTERNAL_FIELDS) & set(described))
        with self.assertRaises(AccessError):
            self.Complaint.with_user(self.portal_a).search(
                [("root_cause", "ilike", "batch")]
            )
        # employees still read them
        self.assertEqual(
            complaint.with_user(self.salesman).root_cause,
            "Supplier batch 42 was never checked",
        )


class TestComplaintPublicMethods(ComplaintRpcCase):
    """Hole 8 + T21: workflow methods check the caller's group and the state."""

    ACTIONS = (
        "action_acknowledge",
        "action_resolve",
        "action_close",
        "action_reopen",
        "action_escalate_dispute",
        "action_confirm_sender",
    )

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_portal_user_and_plain_employee_are_refused(self):
        complaint = self._complaint(resolution_type="apology")
        complaint.action_resolve()
        names = ["state", "dispute_level", "partner_id", "customer_acceptance"]
        before = self._snapshot(complaint, names)
        for user in (self.portal_a, self.plain_employee):
            for action in self.ACTIONS:
                with self.subTest(user=user.login, action=action):
                    with self.assertRaises(AccessError):
                        getattr(complaint.with_user(user), action)()
            with self.subTest(user=user.login, action="message_new"):
                with self.assertRaises(AccessError):
                    self.Complaint.with_user(user).message_new(
                        {"subject": "Forged", "email_from": "x@example.com"},
                        {"partner_id": self.customer.id},
                    )
        self.assertEqual(self._snapshot(complaint, names), before)

    def test_actions_check_the_state(self):
        complaint = self._complaint()
        as_salesman = complaint.with_user(self.salesman)
        with self.assertRaises(UserError):
            as_salesman.action_close()
        with self.assertRaises(UserError):
            as_salesman.action_reopen()
        as_salesman.action_acknowledge()
        with self.assertRaises(UserError):
            as_salesman.action_acknowledge()
        complaint.write({"resolution_type": "refund"})
        as_salesman.action_resolve()
        as_salesman.action_close()
        with self.assertRaises(UserError):
            as_salesman.action_escalate_dispute()
        self.assertEqual(complaint.dispute_level, "none")
        self.assertEqual(complaint.state, "closed")


class TestComplaintMailGateway(ComplaintRpcCase):
    """Hole 7 (T25): e-mail neither files onto an account nor names the complaint."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create(
            {"name": "complaints.example.com"}
        )
        cls.alias = cls.env.ref("crm_relationship.mail_alias_complaints")
        cls.alias.alias_domain_id = cls.alias_domain
        cls.to = "complaints@complaints.example.com"
        cls.customer.email = "buyer@lotus.example.com"
        cls.Partner = cls.env["res.partner"]

    def _mail(self, email_from, subject="Parcel arrived damaged", msg_id=None, **kw):
        raw = EMAIL.format(
            email_from=email_from,
            subject=subject,
            msg_id=msg_id or f"<{abs(hash((email_from, subject)))}@example.com>",
            extra=kw.get("extra", ""),
            body=kw.get("body", "The box was crushed."),
        ).replace("To: complaints@example.com", f"To: {self.to}")
        return self.env["mail.thread"].sudo().message_process(False, raw)

    def _new_complaints(self, before_id):
        return self.Complaint.search([("id", ">", before_id)])

    def _last_id(self):
        return self.Complaint.search([], order="id desc", limit=1).id or 0

    def test_default_is_known_contacts(self):
        # (on a database upgraded from 18.0.1.0.0, the migration sets it: the
        # alias is noupdate data)
        self.assertEqual(self.alias.alias_contact, "partners")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.relationship_complaint_alias_contact, "partners")

    @mute_logger(*GATEWAY_LOGGERS)
    def test_known_sender_is_proposed_not_filed(self):
        last = self._last_id()
        thread_id = self._mail(
            "Lotus Buyer <buyer@lotus.example.com>",
            subject="CMP/2026/00001 is still not solved",
        )
        complaint = self._new_complaints(last)
        self.assertEqual(complaint.ids, [thread_id])
        # the reference is the sequence's, the subject of the mail the subject
        self.assertRegex(complaint.name, r"^CMP/\d{4}/\d{5}$")
        self.assertNotEqual(complaint.name, "CMP/2026/00001")
        self.assertEqual(complaint.subject, "CMP/2026/00001 is still not solved")
        # not on the customer's account, nobody subscribed, no portal access
        self.assertFalse(complaint.partner_id)
        self.assertEqual(complaint.sender_partner_id, self.customer)
        self.assertNotIn(self.customer, complaint.message_partner_ids)
        self.assertEqual(complaint.channel, "email")
        self.assertFalse(
            self.Complaint.with_user(self.portal_a).search([("id", "=", complaint.id)])
        )
        with self.assertRaises(AccessError):
            complaint.with_user(self.portal_a).read(["subject"])
        # the complaint desk confirms; then it is the customer's
        complaint.with_user(self.handler).action_confirm_sender()
        self.assertEqual(complaint.partner_id, self.customer)
        self.assertIn(self.customer, complaint.message_partner_ids)
        self.assertEqual(complaint.user_id, self.salesman)
        self.assertEqual(
            self.Complaint.with_user(self.portal_a).search([("id", "=", complaint.id)]),
            complaint,
        )
        with self.assertRaises(UserError):
            complaint.with_user(self.handler).action_confirm_sender()

    @mute_logger(*GATEWAY_LOGGERS)
    def test_unknown_sender_is_bounced_by_known_contacts_only(self):
        self.env["res.config.settings"].create(
            {"relationship_complaint_alias_contact": "partners"}
        ).execute()
        last, partners = self._last_id(), self.Partner.search_count([])
        with patch.object(
            type(self.env["mail.thread"]),
            "_routing_create_bounce_email",
            autospec=True,
        ) as bounce:
            self._mail("Spoofer <someone@spoof.example.org>")
        self.assertTrue(bounce.called)
        self.assertFalse(self._new_complaints(last))
        self.assertEqual(self.Partner.search_count([]), partners)

    @mute_logger(*GATEWAY_LOGGERS)
    def test_everyone_accepts_unknown_senders_without_creating_contacts(self):
        settings = self.env["res.config.settings"].create(
            {"relationship_complaint_alias_contact": "everyone"}
        )
        settings.execute()
        self.assertEqual(self.alias.alias_contact, "everyone")
        last, partners = self._last_id(), self.Partner.search_count([])
        self._mail("Stranger <someone@spoof.example.org>")
        complaint = self._new_complaints(last)
        self.assertEqual(len(complaint), 1)
        self.assertFalse(complaint.partner_id)
        self.assertFalse(complaint.sender_partner_id)
        self.assertFalse(complaint.message_partner_ids)
        self.assertEqual(self.Partner.search_count([]), partners)
        # staff see it in "To Identify"; no portal user does
        self.assertIn(
            complaint,
            self.Complaint.with_user(self.handler).search([("partner_id", "=", False)]),
        )
        for portal in (self.portal_a, self.portal_b):
            self.assertFalse(
                self.Complaint.with_user(portal).search([("partner_id", "=", False)])
            )
        with self.assertRaises(UserError):
            complaint.with_user(self.handler).action_confirm_sender()
        # the desk identifies it by hand
        complaint.with_user(self.handler).partner_id = self.other_customer
        self.assertIn(self.other_customer, complaint.message_partner_ids)

    @mute_logger(*GATEWAY_LOGGERS)
    def test_followers_only_refuses_new_complaints_and_keeps_the_alias(self):
        self.alias.alias_contact = "followers"
        last = self._last_id()
        self._mail("Lotus Buyer <buyer@lotus.example.com>")
        self.assertFalse(self._new_complaints(last))
        self.assertEqual(self.alias.alias_status, "not_tested")

    @mute_logger(*GATEWAY_LOGGERS)
    def test_a_reply_does_not_subscribe_its_sender(self):
        complaint = self._complaint()
        first = complaint.message_post(
            body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        intruder = self.Partner.create(
            {"name": "Intruder", "email": "intruder@spoof.example.org"}
        )
        self._mail(
            "Intruder <intruder@spoof.example.org>",
            subject="Re: Broken teapot",
            msg_id="<reply-intruder@spoof.example.org>",
            extra=f"In-Reply-To: {first.message_id}\n",
            body="Send the refund to my account.",
        )
        reply = complaint.message_ids.filtered(
            lambda m: "refund to my account" in (m.body or "")
        )
        self.assertEqual(reply.author_id, intruder)
        self.assertNotIn(intruder, complaint.message_partner_ids)
        self.assertEqual(complaint.partner_id, self.customer)

    def test_only_emailed_complaints_may_wait_for_a_customer(self):
        with self.assertRaises(ValidationError):
            self.Complaint.create({"subject": "Phone call", "channel": "phone"})
        complaint = self.Complaint.create({"subject": "Mail", "channel": "email"})
        with self.assertRaises(ValidationError):
            complaint.channel = "phone"


class TestComplaintSlaJobFailure(ComplaintRpcCase):
    """Hole 12 (T12): a failing service-level job is reported, then resolved."""

    def test_failure_is_recorded_then_resolved(self):
        complaint = self._complaint(received="2026-11-20 17:00:00")
        Failure = self.env["crm.relationship.job.failure"]
        with freeze_time("2026-11-24 10:00:00"):
            with (
                patch.object(
                    type(self.Complaint),
                    "_sla_notify",
                    side_effect=RuntimeError("calendar service down"),
                ),
                mute_logger(
                    "odoo.addons.crm_relationship.models.crm_relationship_job_failure"
                ),
            ):
                self.assertIs(self.Complaint._cron_check_sla(), False)
            failure = Failure.search(
                [("job", "=", "crm_relationship.sla"), ("state", "=", "failed")]
            )
            self.assertEqual(len(failure), 1)
            self.assertEqual(failure.name, "Complaint service levels")
            self.assertIn("calendar service down", failure.error)
            todo = failure.activity_ids.filtered(lambda a: a.user_id == self.manager)
            self.assertEqual(len(todo), 1)
            self.assertFalse(complaint.acknowledge_escalated)
            # the next run succeeds: the complaint is escalated, the failure closed
            self.assertGreaterEqual(self.Complaint._cron_check_sla(), 1)
        self.assertTrue(complaint.acknowledge_escalated)
        self.assertEqual(failure.state, "resolved")
        self.assertFalse(failure.activity_ids)


class TestComplaintSlaJobPasses(ComplaintRpcCase):
    """Issue 13, item 9: the service-level job works in time-boxed passes."""

    def test_out_of_time_stops_after_a_batch_and_triggers_again(self):
        complaints = self.Complaint.browse(
            [self._complaint(received="2026-11-20 17:00:00").id for _i in range(3)]
        )
        cron = self.env.ref("crm_relationship.ir_cron_complaint_sla")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        past = time.monotonic() - 1
        Complaint = type(self.Complaint)
        domain = Complaint._sla_due_domain
        with (
            freeze_time("2026-11-24 10:00:00"),
            # only these complaints (the demo data may have others due)
            patch.object(
                Complaint,
                "_sla_due_domain",
                lambda model, now: [("id", "in", complaints.ids), *domain(model, now)],
            ),
        ):
            done = [
                self.Complaint._sla_check(batch_size=1, deadline=past)
                for _call in range(3)
            ]
        # one complaint per call, each call but the last asks to run again
        self.assertEqual(done, [1, 1, 1])
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 2)
        self.assertTrue(all(complaints.mapped("acknowledge_escalated")))

    def test_triggers_itself_when_work_is_left(self):
        complaints = self.Complaint.browse(
            [self._complaint(received="2026-11-20 17:00:00").id for _i in range(2)]
        )
        cron = self.env.ref("crm_relationship.ir_cron_complaint_sla")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        Complaint = type(self.Complaint)
        domain = Complaint._sla_due_domain
        with (
            freeze_time("2026-11-24 10:00:00"),
            patch.object(
                Complaint,
                "_sla_due_domain",
                lambda model, now: [("id", "in", complaints.ids), *domain(model, now)],
            ),
        ):
            self.assertEqual(
                self.Complaint._sla_check(batch_size=1, deadline=time.monotonic() - 1),
                1,
            )
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 1)


@tagged("post_install", "-at_install")
class TestComplaintPortalRpc(ComplaintPortalCase):
    """The portal door: chatter uploads (hole 9), call_kw, internal fields."""

    def setUp(self):
        super().setUp()
        self.complaint = self._file(subject="Cracked lid")
        self.complaint.sudo().root_cause = "Supplier batch 42 was never checked"

    def _upload(self, name, data, pending=True):
        values = {
            "thread_id": self.complaint.id,
            "thread_model": "crm.relationship.complaint",
            "csrf_token": self.csrf_token,
        }
        if pending:
            values["is_pending"] = "true"
        res = self.url_open(
            "/mail/attachment/upload",
            data=values,
            files={"ufile": (name, data, "text/plain")},
        )
        self.assertEqual(res.status_code, 200)
        return res.json()

    def _attachment(self, result):
        (attachment,) = result["data"]["ir.attachment"]
        return attachment["id"], attachment["access_token"]

    def _post(self, uploads, body="See the files"):
        ids = [attachment_id for attachment_id, _token in uploads]
        tokens = [token for _id, token in uploads]
        return self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "crm.relationship.complaint",
                "thread_id": self.complaint.id,
                "post_data": {
                    "body": body,
                    "attachment_ids": ids,
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
                "attachment_tokens": tokens,
            },
        )

    def _complaint_files(self):
        return self.env["ir.attachment"].search(
            [
                ("res_model", "=", "crm.relationship.complaint"),
                ("res_id", "=", self.complaint.id),
            ]
        )

    @mute_logger(*DENIED_LOGGERS)
    def test_chatter_upload_has_the_form_limits(self):
        self._login(self.user_a)
        self.csrf_token = self._csrf("/my/home")
        messages = len(self.complaint.message_ids)
        # six files in one message: refused
        uploads = [
            self._attachment(self._upload(f"photo{i}.txt", b"data")) for i in range(6)
        ]
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self._post(uploads, body="Six files")
        self.assertFalse(self._complaint_files())
        self.assertEqual(len(self.complaint.message_ids), messages)
        # a file over the size limit: refused
        with patch.object(complaint_module, "CUSTOMER_MAX_ATTACHMENT_SIZE", 10):
            big = self._attachment(self._upload("big.txt", b"x" * 11))
            with self.assertRaisesRegex(JsonRpcException, "UserError"):
                self._post([big], body="Too big")
        self.assertFalse(self._complaint_files())
        # straight onto the complaint, without a message: refused
        result = self._upload("direct.txt", b"data", pending=False)
        self.assertIn("error", result)
        self.assertFalse(self._complaint_files())
        # within the limits: posted, authored by the customer
        self._post(uploads[:2], body="Two photos")
        self.assertEqual(len(self._complaint_files()), 2)
        message = self.complaint.message_ids.filtered("attachment_ids")
        self.assertEqual(message.author_id, self.person_a)
        # editing the message cannot add files beyond the limit
        more = [self._attachment(self._upload(f"more{i}.txt", b"d")) for i in range(4)]
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self.make_jsonrpc_request(
                "/mail/message/update_content",
                {
                    "message_id": message.id,
                    "body": "Two photos and four more",
                    "attachment_ids": [attachment_id for attachment_id, _ in more],
                    "attachment_tokens": [token for _, token in more],
                },
            )
        self.assertEqual(len(message.attachment_ids), 2)

    @mute_logger(*DENIED_LOGGERS)
    def test_call_kw_as_the_customer(self):
        self._login(self.user_a)

        def call(method, args, kwargs=None):
            return self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {
                    "model": "crm.relationship.complaint",
                    "method": method,
                    "args": args,
                    "kwargs": kwargs or {},
                },
            )

        rows = call("read", [self.complaint.ids, ["name", "subject", "state"]])
        self.assertEqual(rows[0]["subject"], "Cracked lid")
        refused = [
            ("read", [self.complaint.ids, ["root_cause"]]),
            ("write", [self.complaint.ids, {"subject": "Changed"}]),
            ("action_acknowledge", [self.complaint.ids]),
            ("action_escalate_dispute", [self.complaint.ids]),
            ("_portal_accept_resolution", [self.complaint.ids, True]),
        ]
        for method, args in refused:
            with self.subTest(method=method):
                with self.assertRaises(JsonRpcException):
                    call(method, args)
        complaint = self.complaint.sudo()
        complaint.invalidate_recordset()
        self.assertEqual(complaint.state, "new")
        self.assertEqual(complaint.subject, "Cracked lid")
        self.assertEqual(complaint.dispute_level, "none")
        self.assertEqual(complaint.customer_acceptance, "pending")

    @mute_logger(*DENIED_LOGGERS)
    def test_portal_page_shows_no_internal_field(self):
        self._login(self.user_a)
        res = self.url_open(f"/my/complaints/{self.complaint.id}")
        self.assertEqual(res.status_code, 200)
        self.assertIn("Cracked lid", res.text)
        self.assertNotIn("Supplier batch 42", res.text)

    @mute_logger(*DENIED_LOGGERS)
    def test_complaint_to_identify_is_nobodys_even_with_a_token(self):
        waiting = self.Complaint.create({"channel": "email", "subject": "Mail"})
        token = waiting._portal_ensure_token()
        self.authenticate(None, None)
        res = self.url_open(
            f"/my/complaints/{waiting.id}?{urlencode({'access_token': token})}",
            allow_redirects=False,
        )
        self.assertEqual(res.status_code, 303)
        self.assertNotIn(waiting.name, res.text)
        # and a customer's former link dies when the complaint changes hands
        token_a = self.complaint._portal_ensure_token()
        self.complaint.write(
            {
                "partner_id": self.company_b.id,
                "contact_id": False,
                "sale_order_id": False,
                "sale_order_line_id": False,
            }
        )
        self.assertNotEqual(self.complaint.access_token, token_a)
        res = self.url_open(
            f"/my/complaints/{self.complaint.id}?"
            f"{urlencode({'access_token': token_a})}",
            allow_redirects=False,
        )
        self.assertEqual(res.status_code, 303)
