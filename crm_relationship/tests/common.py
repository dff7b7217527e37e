from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user


class RelationshipCase(TransactionCase):
    """Fixtures: a salesman, a product, helpers to place dated orders.

    Dates are relative to ``cls.today`` and rules are applied with that date,
    so tests never depend on the wall clock.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.company = cls.env.company
        cls.company.write(
            {
                "relationship_stability_min_orders": 2,
                "relationship_stability_min_days": 90,
                "relationship_decline_factor": 3.0,
                "relationship_decline_days": 120,
                "relationship_churn_days": 365,
                "relationship_require_reason": True,
            }
        )
        cls.salesman = new_test_user(
            cls.env,
            login="rel_rules_salesman",
            groups="sales_team.group_sale_salesman",
            name="Rules Salesman",
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Jasmine tea 100 g", "list_price": 100.0, "type": "consu"}
        )
        cls.stage = {
            phase: cls.env["crm.relationship.stage"]._stage_for_phase(phase)
            for phase in (
                "prospect",
                "exploration",
                "formation",
                "stability",
                "decline",
                "churned",
            )
        }

    @classmethod
    def _customer(cls, name="Lotus Home Goods", **vals):
        return cls.env["res.partner"].create(
            dict({"name": name, "is_company": True, "user_id": cls.salesman.id}, **vals)
        )

    @classmethod
    def _order(cls, partner, days_ago=0, qty=1, confirm=True, price=None, **vals):
        line = {"product_id": cls.product.id, "product_uom_qty": qty}
        if price is not None:
            line["price_unit"] = price
        order = cls.env["sale.order"].create(
            dict(
                {
                    "partner_id": partner.id,
                    "order_line": [(0, 0, line)],
                },
                **vals,
            )
        )
        if confirm:
            order.action_confirm()
        order.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        return order

    def _apply(self, partners, days_later=0):
        return partners._relationship_apply_rules(
            today=self.today + timedelta(days=days_later)
        )
