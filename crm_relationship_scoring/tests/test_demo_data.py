from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_relationship.demo.shop import DemoShop

from ..engine import rfm


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
