import random
from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user

DAYS_PER_MONTH = 365.25 / 12

SCORE_SETTINGS = {
    "relationship_score_lookback_days": 1095,
    "relationship_score_horizon_months": 12,
    "relationship_score_discount_rate": 10.0,
    "relationship_score_margin": 100.0,
    "relationship_score_bins": 5,
    "relationship_score_min_customers": 20,
    "relationship_score_risk_medium": 30.0,
    "relationship_score_risk_high": 60.0,
    "relationship_score_high_value_percentile": 20.0,
    "relationship_score_decline_p_alive": 30.0,
    "relationship_score_keep_runs": 24,
    "relationship_health_weight_rfm": 40.0,
    "relationship_health_weight_alive": 40.0,
    "relationship_health_weight_complaints": 20.0,
}


class ScoringCase(TransactionCase):
    """A company of its own (so that demo orders stay out), a salesman, a
    product without taxes and helpers to place dated orders.

    Dates are relative to ``cls.today`` and the scoring runs with that day.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.today = fields.Date.today()
        cls.Run = cls.env["crm.relationship.score.run"]
        cls.Partner = cls.env["res.partner"]
        cls.main_company = cls.env.company
        cls.company = cls.env["res.company"].create(
            dict(SCORE_SETTINGS, name="Scoring Tea Co")
        )
        cls.main_company.write(SCORE_SETTINGS)
        cls.env.user.company_ids |= cls.company
        cls.salesman = new_test_user(
            cls.env,
            login="scoring_owner",
            groups="sales_team.group_sale_salesman",
            name="Scoring Owner",
            company_id=cls.company.id,
            company_ids=[(6, 0, (cls.company | cls.main_company).ids)],
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Pu-erh cake 357 g",
                "list_price": 100.0,
                "type": "consu",
                "taxes_id": [(6, 0, [])],
            }
        )

    @classmethod
    def _customer(cls, name, **vals):
        return cls.Partner.create(
            dict({"name": name, "is_company": True, "user_id": cls.salesman.id}, **vals)
        )

    @classmethod
    def _orders(cls, plan, company=None, confirm=True):
        """Place ``(partner, days_ago, amount[, extra order values])`` orders."""
        company = company or cls.company
        SaleOrder = cls.env["sale.order"].with_company(company)
        vals_list = []
        for item in plan:
            partner, _days_ago, amount = item[:3]
            extra = item[3] if len(item) > 3 else {}
            line = {
                "product_id": cls.product.id,
                "product_uom_qty": 1,
                "price_unit": amount,
                "tax_id": [(6, 0, [])],
            }
            vals_list.append(
                dict(
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "order_line": [(0, 0, line)],
                    },
                    **extra,
                )
            )
        orders = SaleOrder.create(vals_list)
        if confirm:
            orders.action_confirm()
        now = fields.Datetime.now()
        for order, item in zip(orders, plan, strict=True):
            order.date_order = now - timedelta(days=item[1])
        return orders

    @classmethod
    def _synthetic_customers(cls, name):
        """The customers of :func:`synthetic_plan` (``cls.plan``), owned by
        the salesman, with their confirmed orders: ``cls.customers``."""
        cls.plan = synthetic_plan()
        cls.customers = cls.Partner.create(
            [
                {"name": f"{name} {i:02d}", "is_company": True}
                for i in range(len(cls.plan))
            ]
        )
        cls.customers.user_id = cls.salesman
        cls._orders(
            [
                (customer, day, amount)
                for customer, (days, amounts) in zip(
                    cls.customers, cls.plan, strict=True
                )
                for day, amount in zip(days, amounts, strict=True)
            ]
        )
        return cls.customers

    def _score(self, company=None, **kwargs):
        kwargs.setdefault("today", self.today)
        return self.Run._compute_scores(company or self.company, **kwargs)

    def _engine_settings(self, company=None):
        company = company or self.company
        return {
            "horizon": company.relationship_score_horizon_months * DAYS_PER_MONTH,
            "discount_rate": (1 + company.relationship_score_discount_rate / 100)
            ** (1 / 12)
            - 1,
            "time_step": DAYS_PER_MONTH,
            "min_customers": company.relationship_score_min_customers,
        }


def synthetic_plan(seed=8, customers=30):
    """Purchase days (days ago, oldest first) and amounts of a customer base.

    Each customer starts between 200 and 1000 days ago, buys at a Poisson
    pace of their own and drops out after a purchase with a probability of
    their own; the BG/NBD and Gamma-Gamma fits converge on seed 8.
    """
    rng = random.Random(seed)
    plan = []
    for _i in range(customers):
        day = rng.randint(200, 1000)
        gap = rng.choice([20, 45, 90, 150])
        p_drop = rng.choice([0.1, 0.3, 0.6])
        days = [day]
        while rng.random() >= p_drop:
            day -= max(1, int(rng.expovariate(1 / gap)))
            if day < 0:
                break
            days.append(day)
        amounts = [rng.choice([80, 120, 200, 350]) * rng.choice([1, 2]) for _d in days]
        plan.append((days, amounts))
    return plan
