"""The addon installs, its engine loads, the revenue report and the menus
open for a salesperson (the end-to-end tour)."""

from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from .. import engine


class InstallCase(TransactionCase):
    """A salesperson of all documents of the main company, a customer and a
    product (with the default taxes): what the first screens need. The
    scoring tests use ``common.ScoringCase`` (a company of their own)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="scoring_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
            name="Scoring Salesman",
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Harbour Tea Traders", "is_company": True}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Oolong 250 g", "list_price": 40.0, "type": "consu"}
        )

    @classmethod
    def _confirmed_order(cls, partner, qty):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    (0, 0, {"product_id": cls.product.id, "product_uom_qty": qty})
                ],
            }
        )
        order.action_confirm()
        return order


class TestInstall(InstallCase):
    def test_module_and_engine_installed(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "crm_relationship_scoring")]
        )
        self.assertEqual(module.state, "installed")
        self.assertTrue(engine.ENGINE_VERSION)

    def test_revenue_by_customer_sums_confirmed_orders(self):
        self._confirmed_order(self.customer, 3)
        self._confirmed_order(self.customer, 2)
        self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [(0, 0, {"product_id": self.product.id})],
            }
        )  # a quotation is not revenue
        self.env.flush_all()
        action = self.env.ref(
            "crm_relationship_scoring.sale_report_action_customer_value"
        )
        report = self.env["sale.report"].with_user(self.salesman)
        groups = report.read_group(
            [("state", "=", "sale"), ("commercial_partner_id", "=", self.customer.id)],
            ["price_subtotal:sum"],
            ["commercial_partner_id"],
        )
        self.assertEqual(len(groups), 1)
        self.assertAlmostEqual(groups[0]["price_subtotal"], 200.0)
        self.assertIn("'state', '=', 'sale'", action.domain)
        views = report.get_views([(False, "pivot"), (False, "graph")])
        self.assertEqual(set(views["views"]), {"pivot", "graph"})


@tagged("post_install", "-at_install")
class TestScoringTour(HttpCase, InstallCase):
    def test_revenue_menu_tour(self):
        self._confirmed_order(self.customer, 1)
        # force: the demo data of the main company was scored today at install
        run = self.env["crm.relationship.score.run"]._compute_scores(
            self.env.company, force=True
        )
        self.assertEqual(run.state, "done")
        self.assertTrue(self.customer.score_date)
        self.start_tour(
            "/odoo", "crm_relationship_scoring_menu_tour", login="scoring_salesman"
        )
