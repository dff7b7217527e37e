import random

from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_relationship.demo import shop as demo


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo shop (loaded with demo data only) shows every screen populated.

    A database installed without demo data has none of it: see
    tests/without_demo/check_no_demo_data.py, run by ``make test``.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Demo = demo.DemoShop(cls.env)
        cls.customers = Demo._demo_records("customer", "res.partner")
        cls.orders = Demo._demo_records("order", "sale.order")
        cls.complaints = Demo._demo_records("complaint", "crm.relationship.complaint")

    def test_demo_customers(self):
        customers = self.customers
        self.assertEqual(len(customers), demo.CUSTOMERS)
        self.assertTrue(customers.filtered("is_company"))
        self.assertTrue(customers.filtered(lambda c: not c.is_company))
        self.assertTrue(customers.child_ids, "companies have contacts")
        self.assertGreaterEqual(len(customers.country_id), 6)
        chinese = customers.filtered(lambda c: c.lang == "zh_CN")
        self.assertGreaterEqual(len(chinese), 50)
        self.assertTrue(
            all(any("\u4e00" <= char <= "\u9fff" for char in c.name) for c in chinese)
        )
        self.assertTrue(self.env["res.lang"]._lang_get("zh_CN").active)
        self.assertFalse(customers.filtered(lambda c: not c.email))

    def test_demo_orders(self):
        orders = self.orders
        self.assertGreaterEqual(len(orders), 800)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertGreaterEqual(len(orders.currency_id), 4)
        days = [(self.env.cr.now() - o.date_order).days for o in orders]
        self.assertGreater(max(days), 2 * 365)
        self.assertGreaterEqual(min(days), 0)
        # orders placed by contacts roll up to their company
        self.assertTrue(orders.partner_id.filtered("parent_id"))
        quotations = demo.DemoShop(self.env)._demo_records("quotation", "sale.order")
        self.assertEqual(set(quotations.mapped("state")), {"draft"})
        refunds = demo.DemoShop(self.env)._demo_records("refund", "account.move")
        self.assertTrue(refunds)
        self.assertEqual(set(refunds.mapped("move_type")), {"out_refund"})
        self.assertEqual(set(refunds.mapped("state")), {"posted"})

    def test_demo_covers_every_stage(self):
        phases = {
            code
            for code, _label in self.env["crm.relationship.stage"]
            ._fields["phase"]
            .selection
        }
        self.assertEqual(set(self.customers.mapped("relationship_phase")), phases)
        # the history leads to today's stage, entered in the past
        history = self.customers.relationship_history_ids
        self.assertGreater(len(history), len(self.customers))
        for customer in self.customers[:50]:
            last = customer.relationship_history_ids[:1]
            self.assertEqual(last.to_stage_id, customer.relationship_stage_id)
        self.assertTrue(self.customers.value_tier_id, "tiers assigned")
        # the moves of that history are transitions (first placements are not)
        moves = history.filtered("from_stage_id")
        transitions = self.env["crm.relationship.transition"].search(
            [("kind", "=", "stage"), ("partner_id", "in", self.customers.ids)]
        )
        self.assertEqual(len(transitions), len(moves))
        self.assertFalse(transitions.filtered(lambda t: not t.from_stage_id))

    def test_demo_covers_every_complaint_state(self):
        complaints = self.complaints
        self.assertTrue(30 <= len(complaints) <= 50)
        states = {
            code
            for code, _label in self.env["crm.relationship.complaint.stage"]
            ._fields["state"]
            .selection
        }
        self.assertEqual(set(complaints.mapped("state")), states)
        self.assertIn("breached", complaints.mapped("sla_status"))
        self.assertIn("met", complaints.mapped("sla_status"))
        self.assertIn("on_track", complaints.mapped("sla_status"))
        open_breached = complaints.filtered(
            lambda c: (
                c.sla_status == "breached"
                and c.state in ("new", "acknowledged", "in_progress")
            )
        )
        self.assertTrue(open_breached)
        disputes = set(complaints.mapped("dispute_level")) - {"none"}
        self.assertEqual(
            disputes, {"negotiation", "mediation", "arbitration", "litigation"}
        )
        for complaint in complaints:
            self.assertEqual(
                complaint.sale_order_id.partner_id.commercial_partner_id,
                complaint.partner_id,
            )

    def test_demo_portal_customer(self):
        user = self.env.ref("crm_relationship.demo_portal_user_0001")
        self.assertTrue(user._is_portal())
        complaints = self.complaints.filtered(
            lambda c: c.partner_id == user.partner_id.commercial_partner_id
        )
        self.assertIn("resolved", complaints.mapped("state"))
        self.assertTrue(
            complaints.with_user(user).search([("id", "in", complaints.ids)])
        )

    def test_order_plan_is_deterministic(self):
        customers = [
            {"is_company": i % 4 == 0, "index": i} for i in range(demo.CUSTOMERS)
        ]
        Demo = demo.DemoShop(self.env)
        first = Demo._demo_plan_orders(random.Random(demo.SEED), customers)
        second = Demo._demo_plan_orders(random.Random(demo.SEED), customers)
        self.assertEqual(first, second)
