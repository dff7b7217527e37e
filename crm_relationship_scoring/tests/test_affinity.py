"""Products bought together and suggested products: the extraction from
real order lines, the nightly job (resumable, time-boxed), the suggestions
on the customer and the quotation, and who may read or use them.

The baskets (orders of the scoring window, yesterday at the latest)::

    6 customers  tea + teapot            (each one order)
    2 customers  tea                     (+ a reward line of the candle)
    1 customer   cups, 1 customer cups   (and an order of today: tomorrow's)
    1 customer   candle

    11 orders: n(tea) = 8, n(teapot) = 6, n(tea, teapot) = 6
    tea -> teapot: support 6/11, confidence 6/8, lift (6/8) / (6/11) = 1.375
    teapot -> tea: support 6/11, confidence 1,   lift 1 / (8/11) = 1.375
"""

import time
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from ..models.crm_relationship_product_affinity import AFFINITY_JOB
from .common import ScoringCase

PROGRESS = "crm_relationship.progress.%s"


@tagged("post_install", "-at_install")
class TestProductAffinity(ScoringCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Affinity = cls.env["crm.relationship.product.affinity"]
        cls.Suggestion = cls.env["crm.relationship.product.suggestion"]
        cls.company.write(
            {
                "relationship_affinity_min_orders": 5,
                "relationship_affinity_min_lift": 1.2,
                "relationship_suggestion_count": 5,
            }
        )
        Product = cls.env["product.product"]
        cls.tea, cls.teapot, cls.cups, cls.candle, cls.retired = Product.create(
            [
                {"name": name, "list_price": 10.0, "type": "consu", "taxes_id": False}
                for name in ("Jasmine", "Teapot", "Glass Cups", "Candle", "Retired")
            ]
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="affinity_other_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.pairs = [cls._customer(f"Pair Buyer {i}") for i in range(6)]
        cls.tea_only = [cls._customer(f"Tea Buyer {i}") for i in range(2)]
        cls.cup_buyers = [cls._customer(f"Cup Buyer {i}") for i in range(2)]
        cls.candle_buyer = cls._customer("Candle Buyer")
        for customer in cls.pairs:
            cls._basket(customer, [cls.tea, cls.teapot], 10)
        for customer in cls.tea_only:
            # a reward (negative price), a line without quantity, a note and a
            # product no longer sold are not purchases
            order = cls._basket(
                customer, [cls.tea], 5, extra=[(cls.candle, 1, -5.0), (cls.cups, 0, 10)]
            )
            order.order_line = [
                (0, 0, {"display_type": "line_note", "name": "Gift wrap"}),
                (0, 0, {"product_id": cls.retired.id, "price_unit": 3.0}),
            ]
        cls.retired.sale_ok = False
        for customer in cls.cup_buyers:
            cls._basket(customer, [cls.cups], 20)
        cls._basket(cls.candle_buyer, [cls.candle], 30)
        # not in the window: today, too old, a quotation, another company
        cls._basket(cls.cup_buyers[0], [cls.cups, cls.teapot], 0)
        cls._basket(cls.cup_buyers[1], [cls.cups, cls.teapot], 2000)
        cls._basket(cls.cup_buyers[1], [cls.cups, cls.teapot], 3, confirm=False)
        cls._basket(
            cls.cup_buyers[1], [cls.cups, cls.teapot], 3, company=cls.main_company
        )

    @classmethod
    def _basket(cls, partner, products, days_ago, extra=(), confirm=True, company=None):
        """A confirmed order of ``products`` (quantity 1, price 10) placed
        ``days_ago`` days ago; ``extra`` lines as (product, quantity, price)."""
        company = company or cls.company
        lines = [(product, 1, 10.0) for product in products] + list(extra)
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "user_id": cls.salesman.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": product.id,
                                "product_uom_qty": qty,
                                "price_unit": price,
                                "tax_id": [(6, 0, [])],
                            },
                        )
                        for product, qty, price in lines
                    ],
                }
            )
        )
        if confirm:
            order.action_confirm()
        order.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        return order

    def _refresh(self, **kwargs):
        kwargs.setdefault("force", True)
        return self.Affinity._refresh_affinities(self.company, **kwargs)

    def _rules(self, company=None):
        rules = self.Affinity.search(
            [("company_id", "=", (company or self.company).id)]
        )
        return {
            (r.product_id, r.related_product_id): (
                r.order_count,
                r.support,
                r.confidence,
                r.lift,
            )
            for r in rules
        }

    def _suggestions(self):
        rows = self.Suggestion.search([("company_id", "=", self.company.id)])
        return sorted(
            (
                s.partner_id.id,
                s.sequence,
                s.product_id.id,
                s.reason_product_id.id,
                s.score,
            )
            for s in rows
        )

    def _suggested(self, partner, user=None):
        """The suggestions listed by the customer form's *Suggested Products*
        button: its action's domain, evaluated as the web client does with the
        button's context."""
        action = self.env.ref(
            "crm_relationship_scoring.crm_relationship_product_suggestion_action_partner"
        )
        domain = safe_eval(
            action.domain,
            {"relationship_partner_id": partner.commercial_partner_id.id},
        )
        return (
            self.Suggestion.with_user(user or self.env.user)
            .with_company(self.company)
            .search(domain)
        )

    def _quotation(self, partner, user=None):
        return (
            self.env["sale.order"]
            .with_company(self.company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "user_id": (user or self.salesman).id,
                }
            )
        )

    # ------------------------------------------------------------------
    # Affinities and suggestions
    # ------------------------------------------------------------------
    def test_affinities_from_confirmed_order_lines(self):
        self.assertEqual(self._refresh(), 11)
        rules = self._rules()
        self.assertEqual(set(rules), {(self.tea, self.teapot), (self.teapot, self.tea)})
        count, support, confidence, lift = rules[self.tea, self.teapot]
        self.assertEqual(count, 6)
        self.assertAlmostEqual(support, 6 / 11)
        self.assertAlmostEqual(confidence, 6 / 8)
        self.assertAlmostEqual(lift, 1.375)
        self.assertAlmostEqual(rules[self.teapot, self.tea][2], 1.0)
        rule = self.Affinity.search([("product_id", "=", self.tea.id)])
        self.assertEqual(rule.display_name, "Jasmine → Teapot")
        # a rerun the same day changes nothing
        before = self._rules(), self._suggestions()
        self._refresh()
        self.assertEqual((self._rules(), self._suggestions()), before)

    def test_thresholds_come_from_the_company(self):
        self.company.relationship_affinity_min_orders = 7
        self._refresh()
        self.assertFalse(self._rules())
        self.assertFalse(self._suggestions())
        self.company.write(
            {
                "relationship_affinity_min_orders": 5,
                "relationship_affinity_min_lift": 1.5,
            }
        )
        self._refresh()
        self.assertFalse(self._rules())

    def test_suggestions_on_the_customer(self):
        self._refresh()
        expected = sorted(
            (customer.id, 1, self.teapot.id, self.tea.id, 0.75)
            for customer in self.tea_only
        )
        self.assertEqual(self._suggestions(), expected)
        customer = self.tea_only[0]
        suggestion = self._suggested(customer)
        self.assertEqual(suggestion.product_id, self.teapot)
        self.assertEqual(suggestion.reason, "Often bought with Jasmine")
        # a contact shows its company's suggestions
        contact = self.Partner.create({"name": "Buyer", "parent_id": customer.id})
        self.assertEqual(self._suggested(contact), suggestion)
        # owning both products: nothing to suggest
        self.assertFalse(self._suggested(self.pairs[0]))
        # read by a salesperson as listed
        self.assertEqual(self._suggested(customer, self.salesman), suggestion)

    def test_no_suggestions_when_the_count_is_zero(self):
        self._refresh()
        self.company.relationship_suggestion_count = 0
        self._refresh()
        self.assertTrue(self._rules())
        self.assertFalse(self._suggestions())

    def test_stale_suggestions_are_removed(self):
        gone = self._customer("Former Customer")
        self.env.cr.execute(
            "INSERT INTO crm_relationship_product_suggestion "
            "(company_id, partner_id, product_id, reason_product_id, score, sequence) "
            "VALUES (%s, %s, %s, %s, 0.5, 1)",
            (self.company.id, gone.id, self.cups.id, self.tea.id),
        )
        self._refresh(batch_size=3)
        self.assertFalse(self.Suggestion.search([("partner_id", "=", gone.id)]))

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------
    def test_job_resumes_after_an_interrupted_pass(self):
        self._refresh()
        reference = self._rules(), self._suggestions()
        self.Suggestion.search([]).sudo().unlink()
        self.Affinity.search([]).sudo().unlink()
        job = f"{AFFINITY_JOB}.{self.company.id}"
        Jobs = self.env["crm.relationship.job.failure"]
        today = fields.Date.context_today(self.Affinity)
        Jobs._job_save_progress(job, today, 0)
        # a pass out of time after its first range of 3 customers
        done = self.Affinity._refresh_affinities(
            self.company, batch_size=3, deadline=time.monotonic() - 1
        )
        self.assertEqual(done, 3)
        after = Jobs._job_progress(job, today)
        self.assertTrue(after)
        self.assertEqual(self._rules(), reference[0])
        cron = self.env.ref("crm_relationship_scoring.ir_cron_relationship_affinity")
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]),
            "the scheduled action is triggered again",
        )
        # a kill now: the next pass starts over from the database, resumes
        # after the committed range and finishes
        self.env.invalidate_all()
        calls = 1
        while Jobs._job_progress(job, today) is not None:
            self.Affinity._refresh_affinities(
                self.company, batch_size=3, deadline=time.monotonic() - 1
            )
            calls += 1
            self.assertLess(calls, 10)
        self.assertEqual(calls, 4)  # 11 customers, 3 per range
        self.assertEqual((self._rules(), self._suggestions()), reference)
        # the day is done: another call does nothing
        self.assertEqual(self.Affinity._refresh_affinities(self.company), 0)

    def test_scheduled_action_with_a_tiny_budget(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_relationship.job_time_budget", "0.000001"
        )
        today = fields.Date.context_today(self.Affinity)
        job = f"{AFFINITY_JOB}.{self.company.id}"
        Jobs = self.env["crm.relationship.job.failure"]
        # the other companies (the demo shop's, when installed) are done for
        # today: the passes work on this company only
        for company in self.env["res.company"].search([]):
            Jobs._job_save_progress(
                f"{AFFINITY_JOB}.{company.id}",
                today,
                0 if company == self.company else None,
            )
        calls = 0
        while Jobs._job_progress(job, today) is not None:
            self.Affinity._cron_refresh_affinities(batch_size=4)
            calls += 1
            self.assertLess(calls, 20)
        self.assertGreaterEqual(calls, 3)
        self.assertEqual(len(self._suggestions()), 2)
        self.assertFalse(
            Jobs.search([("job", "=", AFFINITY_JOB), ("state", "=", "failed")])
        )

    def test_failure_is_reported(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_relationship.job_time_budget", "1000"
        )
        today = fields.Date.context_today(self.Affinity)
        Jobs = self.env["crm.relationship.job.failure"]
        for company in self.env["res.company"].search([]):
            Jobs._job_save_progress(f"{AFFINITY_JOB}.{company.id}", today, 0)
        self.company.relationship_affinity_min_orders = 2
        # a broken setting that passes the database check
        self.env.cr.execute(
            "UPDATE res_company SET relationship_affinity_min_lift = 'NaN' "
            "WHERE id = %s",
            (self.company.id,),
        )
        self.company.invalidate_recordset()
        self.assertFalse(self.Affinity._cron_refresh_affinities())
        failure = Jobs.search([("job", "=", AFFINITY_JOB), ("state", "=", "failed")])
        self.assertEqual(len(failure), 1)
        self.assertIn("min_lift", failure.error)

    # ------------------------------------------------------------------
    # Adding a suggestion to a quotation
    # ------------------------------------------------------------------
    def test_add_a_suggestion_to_a_quotation(self):
        self._refresh()
        customer = self.tea_only[0]
        quotation = self._quotation(customer).with_user(self.salesman)
        suggestion = quotation.relationship_suggestion_ids
        self.assertEqual(suggestion.product_id, self.teapot)
        self.assertTrue(
            suggestion.with_user(self.salesman).action_add_to_order(quotation.id)
        )
        self.assertEqual(quotation.order_line.product_id, self.teapot)
        self.assertEqual(quotation.order_line.product_uom_qty, 1)
        self.assertFalse(quotation.relationship_suggestion_ids)
        # the button passes the order in the context; never added twice
        self.assertFalse(
            suggestion.with_user(self.salesman)
            .with_context(relationship_order_id=quotation.id)
            .action_add_to_order()
        )
        self.assertEqual(len(quotation.order_line), 1)

    def test_add_is_refused_on_a_confirmed_order(self):
        self._refresh()
        quotation = self._quotation(self.tea_only[0])
        quotation.order_line = [(0, 0, {"product_id": self.cups.id})]
        quotation.action_confirm()
        suggestion = self._suggested(self.tea_only[0])
        with self.assertRaises(UserError):
            suggestion.with_user(self.salesman).action_add_to_order(quotation.id)
        self.assertNotIn(self.teapot, quotation.order_line.product_id)

    def test_add_is_refused_for_another_customer(self):
        self._refresh()
        quotation = self._quotation(self.tea_only[1])
        suggestion = self._suggested(self.tea_only[0])
        with self.assertRaises(UserError):
            suggestion.with_user(self.salesman).action_add_to_order(quotation.id)
        with self.assertRaises(UserError):
            suggestion.with_user(self.salesman).action_add_to_order()
        self.assertFalse(quotation.order_line)

    def test_own_documents_salesman_cannot_add_to_another_salesmans_order(self):
        self._refresh()
        customer = self.tea_only[0]
        quotation = self._quotation(customer, user=self.salesman)
        suggestion = self._suggested(customer)
        other = self.other_salesman
        # reads the suggestion (every customer's, as the scores) ...
        self.assertEqual(suggestion.with_user(other).read(["score"])[0]["score"], 0.75)
        # ... but cannot touch an order that is not theirs
        with self.assertRaises(AccessError):
            suggestion.with_user(other).action_add_to_order(quotation.id)
        with self.assertRaises(AccessError):
            quotation.with_user(other).action_add_suggested_product(self.teapot.id)
        self.assertFalse(quotation.order_line)

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------
    def test_portal_and_employees_never_read_affinities_or_suggestions(self):
        self._refresh()
        employee = new_test_user(
            self.env,
            login="affinity_employee",
            groups="base.group_user",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        portal = new_test_user(
            self.env, login="affinity_portal", groups="base.group_portal"
        )
        suggestion = self._suggested(self.tea_only[0])
        rule = self.Affinity.search([], limit=1)
        quotation = self._quotation(self.tea_only[0])
        for user in (employee, portal):
            with self.subTest(user=user.login):
                for model in (self.Affinity, self.Suggestion):
                    with self.assertRaises(AccessError):
                        model.with_user(user).search([])
                with self.assertRaises(AccessError):
                    suggestion.with_user(user).read(["product_id", "score"])
                with self.assertRaises(AccessError):
                    rule.with_user(user).read(["lift"])
                # the RPC-reachable methods
                with self.assertRaises(AccessError):
                    suggestion.with_user(user).action_add_to_order(quotation.id)
                with self.assertRaises(AccessError):
                    quotation.with_user(user).action_add_suggested_product(
                        self.teapot.id
                    )
        self.assertFalse(quotation.order_line)

    def test_nobody_writes_them_and_companies_are_apart(self):
        self._refresh()
        suggestion = self._suggested(self.tea_only[0])
        rule = self.Affinity.search([], limit=1)
        manager = new_test_user(
            self.env,
            login="affinity_manager",
            groups="crm_relationship.crm_relationship_group_manager",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        for user in (self.salesman, manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    suggestion.with_user(user).write({"score": 1.0})
                with self.assertRaises(AccessError):
                    rule.with_user(user).write({"lift": 9.0})
                with self.assertRaises(AccessError):
                    suggestion.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    self.Affinity.with_user(user).create(
                        {
                            "company_id": self.company.id,
                            "product_id": self.tea.id,
                            "related_product_id": self.cups.id,
                        }
                    )
        self.assertEqual(suggestion.score, 0.75)
        # a user of the main company only sees none of this company's rows
        elsewhere = new_test_user(
            self.env,
            login="affinity_elsewhere",
            groups="crm_relationship.crm_relationship_group_manager",
            company_id=self.main_company.id,
            company_ids=[(6, 0, self.main_company.ids)],
        )
        self.assertFalse(
            self.Suggestion.with_user(elsewhere).search([("id", "=", suggestion.id)])
        )
        self.assertFalse(
            self.Affinity.with_user(elsewhere).search([("id", "=", rule.id)])
        )
        with self.assertRaises(AccessError):
            suggestion.with_user(elsewhere).read(["score"])

    def test_views_per_group(self):
        employee = new_test_user(
            self.env, login="affinity_view_employee", groups="base.group_user"
        )
        action = self.env.ref(
            "crm_relationship_scoring.crm_relationship_product_suggestion_action_partner"
        )
        button = f'name="{action.id}"'

        def form(model, user):
            views = self.env[model].with_user(user).get_views([(False, "form")])
            return views["views"]["form"]["arch"]

        self.assertIn(
            'name="relationship_suggestion_ids"', form("sale.order", self.salesman)
        )
        self.assertIn(button, form("res.partner", self.salesman))
        self.assertNotIn(button, form("res.partner", employee))
        for mode in ("list", "pivot", "search"):
            self.Affinity.with_user(self.salesman).get_views([(False, mode)])
        menu = self.env.ref(
            "crm_relationship_scoring.crm_relationship_product_affinity_menu"
        )
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.salesman)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(employee)._visible_menu_ids())
