from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_relationship.demo.shop import DemoShop

from ..engine import loyalty, rfm


@tagged("post_install", "-at_install")
class TestDemoScores(TransactionCase):
    """The demo shop is scored at install and shows every RFM segment."""

    def test_demo_covers_every_rfm_segment(self):
        Demo = DemoShop(self.env)
        customers = Demo._demo_records("customer", "res.partner")
        run = self.env.ref("crm_relationship_scoring.demo_score_run_0001")
        self.assertEqual(run.state, "done")
        self.assertEqual(run.company_id, self.env.ref("base.main_company"))
        scored = customers.filtered("score_date")
        self.assertGreaterEqual(len(scored), 200)
        self.assertEqual(set(scored.mapped("rfm_segment")), set(rfm.SEGMENTS))
        self.assertEqual(
            set(scored.mapped("churn_risk_level")), {"low", "medium", "high"}
        )
        self.assertTrue(all(scored.mapped("score_explanation")))
        self.assertTrue(run.snapshot_ids)

    def test_demo_covers_the_loyalty_ladder_and_the_trap(self):
        """Every rung of the loyalty ladder and, once the survey demo scored
        again with the answers, every satisfaction x loyalty quadrant."""
        Demo = DemoShop(self.env)
        customers = Demo._demo_records("customer", "res.partner")
        self.assertEqual(set(customers.mapped("loyalty_class")), set(loyalty.CLASSES))
        # the survey demo (installed with the suite) answered the loyalty
        # questions of the annual survey and scored again
        self.assertIn("survey.user_input", self.env)
        scored = customers.filtered("score_date")
        self.assertEqual(
            set(scored.mapped("satisfaction_quadrant")) - {False},
            set(loyalty.QUADRANTS),
        )
        measured = scored.filtered(lambda p: p.loyalty_factors_used & 0b10)
        self.assertTrue(measured, "no share of wallet answered in the demo")
        self.assertTrue(scored.filtered(lambda p: 0 < p.loyalty_price < 1))
        self.assertTrue(scored.filtered(lambda p: 0 < p.loyalty_choosing < 1))
        self.assertTrue(all(scored.mapped("loyalty_explanation")))

    def test_demo_suggests_products(self):
        """The demo shop's companion products are found bought together, and
        demo customers get suggestions they have not bought."""
        Demo = DemoShop(self.env)
        customers = Demo._demo_records("customer", "res.partner")
        pairs = self.env["crm.relationship.product.affinity"].search(
            [("company_id", "=", self.env.ref("base.main_company").id)]
        )
        found = {
            (p.product_id.default_code, p.related_product_id.default_code)
            for p in pairs
        }
        self.assertIn(("DEMO-POT-CER", "DEMO-CUP-GLS"), found)
        suggested = customers.filtered("relationship_suggestion_ids")
        self.assertGreaterEqual(len(suggested), 20)
        for customer in suggested[:20]:
            bought = (
                self.env["sale.order.line"]
                .search(
                    [
                        ("order_id.partner_id", "child_of", customer.id),
                        ("order_id.state", "=", "sale"),
                    ]
                )
                .product_id
            )
            self.assertFalse(customer.relationship_suggestion_ids.product_id & bought)
