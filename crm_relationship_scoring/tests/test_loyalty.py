from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from .common import ScoringCase

#: purchase days (days ago) of a long-standing customer
LONG_STANDING = [700, 600, 500, 400, 280, 200, 100, 10]


def repeat(purchase_days, tenure):
    """engine/loyalty.py repeat_factor with its defaults (12 days, 730 days)."""
    if purchase_days < 2:
        return 0.0
    return 0.5 * min(1, (purchase_days - 1) / 11) + 0.5 * min(1, tenure / 730)


class TestLoyalty(ScoringCase):
    """The loyalty factors, index and ladder, and the satisfaction trap,
    measured by the nightly job from real orders, discounts, complaints,
    refunds and (through the survey hook) answers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.steady = cls._customer("Steady Tea House")
        cls.grumpy = cls._customer("Grumpy Tea House")
        cls.once = cls._customer("Once Tea Stall")
        cls.let_down = cls._customer("Let Down Tea Bar")
        cls.prospect = cls._customer("Prospect Tea Room")
        steady = cls._orders([(cls.steady, day, 100.0) for day in LONG_STANDING])
        cls._orders([(cls.grumpy, day, 100.0) for day in LONG_STANDING])
        cls._orders([(cls.once, 30, 80.0)])
        cls._orders([(cls.let_down, day, 120.0) for day in (400, 350, 300)])
        # the steady customer bought one order at half price ...
        discounted = steady.filtered(lambda o: o.amount_untaxed == 100.0)[:1]
        discounted.order_line.discount = 50.0
        # ... and took 14 days to confirm each quotation
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE sale_order SET create_date = date_order - INTERVAL '14 days' "
                "WHERE id = ANY(%s)",
                steady.ids,
            )
        )
        # a complaint followed by an order 20 days later; the other customer
        # complained and never came back
        now = fields.Datetime.now()
        Complaint = cls.env["crm.relationship.complaint"]
        Complaint.create(
            [
                {
                    "partner_id": cls.steady.id,
                    "subject": "Broken lid",
                    "company_id": cls.company.id,
                    "date_received": now - timedelta(days=300),
                },
                {
                    "partner_id": cls.let_down.id,
                    "subject": "Late delivery",
                    "company_id": cls.company.id,
                    "date_received": now - timedelta(days=250),
                },
                {
                    # too recent to be judged: left out
                    "partner_id": cls.once.id,
                    "subject": "Wrong tea",
                    "company_id": cls.company.id,
                    "date_received": now - timedelta(days=5),
                },
            ]
        )
        cls.env.invalidate_all()

    def _inputs(self, **by_name):
        """Patch the survey hook with ``{name: {partner: value}}``."""
        Partner = type(self.Partner)
        values = {
            name: {partner.id: value for partner, value in mapping.items()}
            for name, mapping in by_name.items()
        }
        return patch.object(
            Partner,
            "_relationship_loyalty_inputs",
            lambda partner_self, partners: values,
        )

    def test_factors_from_orders_discounts_and_complaints(self):
        self._score()
        steady = self.steady
        self.assertAlmostEqual(steady.loyalty_repeat, repeat(8, 700), places=4)
        # 14 days spent choosing: 7 / (7 + 14)
        self.assertAlmostEqual(steady.loyalty_choosing, 7 / 21, places=4)
        # 50 of 750 bought with a discount
        self.assertAlmostEqual(steady.loyalty_price, 1 - 50 / 750, places=4)
        # the complaint was followed by an order within 90 days
        self.assertEqual(steady.loyalty_tolerance, 1.0)
        self.assertEqual(self.let_down.loyalty_tolerance, 0.0)
        expected = (3 * repeat(8, 700) + 7 / 21 + (1 - 50 / 750) + 1.0) / 6 * 100
        self.assertAlmostEqual(steady.loyalty_index, expected, delta=0.05)
        self.assertEqual(steady.loyalty_class, "loyal")
        self.assertIn("not measured: no survey answer", steady.loyalty_explanation)
        # no complaint to judge (the recent one is too recent): left out of
        # the index, not counted as zero
        once = self.once
        self.assertEqual(once.loyalty_class, "new")
        used = once.loyalty_factors_used
        self.assertEqual(bin(used).count("1"), 3)  # repeat, choosing, price
        self.assertFalse(used & (1 << 5))
        self.assertAlmostEqual(once.loyalty_index, (0 + 1 + 1) / 5 * 100, delta=0.05)
        self.assertIn(
            "not measured: no complaint or refund to judge", once.loyalty_explanation
        )
        self.assertEqual(self.let_down.loyalty_class, "regular")

    def test_refunds_are_incidents(self):
        """A posted refund followed by an order within the window was
        tolerated; one never followed by an order was not; a draft refund is
        no incident."""
        # refunds need the main company's accounting (journals, accounts)
        company = self.main_company
        customer = self._customer("Refunded Tea Garden")
        self._orders(
            [(customer, day, 150.0) for day in (400, 300, 200)], company=company
        )
        for days_ago, post in ((250, True), (150, True), (100, False)):
            refund = self.env["account.move"].create(
                {
                    "move_type": "out_refund",
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "invoice_date": self.today - timedelta(days=days_ago),
                    "invoice_line_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": self.product.id,
                                "quantity": 1,
                                "price_unit": 20.0,
                                "tax_ids": [(6, 0, [])],
                            },
                        )
                    ],
                }
            )
            if post:
                refund.action_post()
        # forced: the demo data of the main company may be scored today
        self._score(company=company, force=True)
        self.assertAlmostEqual(
            customer.with_company(company).loyalty_tolerance, 0.5, places=4
        )

    def test_price_sensitivity_from_pricelists_and_promotions(self):
        """An order on a discounted pricelist and an order with a promotion
        (a negative line) count whole; a plain order does not."""
        bargain = self._customer("Bargain Tea Shop")
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Members -10 %",
                "company_id": self.company.id,
                "item_ids": [
                    (
                        0,
                        0,
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 10.0,
                        },
                    )
                ],
            }
        )

        def line(price):
            return (
                0,
                0,
                {
                    "product_id": self.product.id,
                    "product_uom_qty": 1,
                    "price_unit": price,
                    "tax_id": [(6, 0, [])],
                },
            )

        plain = self.env["product.pricelist"].create(
            {"name": "Public", "company_id": self.company.id}
        )
        self._orders(
            [
                (bargain, 90, 100.0, {"pricelist_id": pricelist.id}),
                (
                    bargain,
                    60,
                    0.0,
                    {
                        "pricelist_id": plain.id,
                        "order_line": [line(100.0), line(-10.0)],
                    },
                ),
                (bargain, 30, 100.0, {"pricelist_id": plain.id}),
            ]
        )
        self._score()
        # (100 + 90) of 290 bought with a discount
        self.assertAlmostEqual(bargain.loyalty_price, 1 - 190 / 290, places=4)
        self.assertEqual(self.grumpy.loyalty_price, 1.0)

    def test_survey_answers_and_advocates(self):
        with self._inputs(
            share_of_wallet={self.steady: 80.0},
            competitors={self.steady: 2.0},
            promoter={self.steady: True},
        ):
            self._score()
        steady = self.steady
        self.assertAlmostEqual(steady.loyalty_share_of_wallet, 0.8, places=4)
        self.assertAlmostEqual(steady.loyalty_competitors, 0.8, places=4)
        self.assertEqual(bin(steady.loyalty_factors_used).count("1"), 6)
        expected = (
            3 * repeat(8, 700) + 2 * 0.8 + 7 / 21 + (1 - 50 / 750) + 2 * 0.8 + 1.0
        ) / 10
        self.assertAlmostEqual(steady.loyalty_index, expected * 100, delta=0.05)
        # loyal and a promoter: an advocate; a referrer is one too
        self.assertEqual(steady.loyalty_class, "advocate")
        self.assertEqual(self.grumpy.loyalty_class, "loyal")
        self._customer("Friend of Grumpy", relationship_referred_by_id=self.grumpy.id)
        self.assertEqual(self.grumpy.relationship_referral_count, 1)
        self._score(force=True)
        self.assertEqual(self.grumpy.loyalty_class, "advocate")

    def test_classes_move_with_behaviour(self):
        self._score()
        self.assertEqual(self.once.loyalty_class, "new")
        self.assertEqual(self.prospect.loyalty_class, "prospect")
        found = self.Partner.search(
            [("loyalty_class", "=", "prospect"), ("id", "in", self.prospect.ids)]
        )
        self.assertEqual(found, self.prospect)
        self._orders([(self.once, 20, 80.0), (self.once, 12, 90.0)])
        self._orders([(self.prospect, 3, 50.0)])
        self.env.invalidate_all()
        self._score(force=True)
        self.assertEqual(self.once.loyalty_class, "regular")
        self.assertEqual(self.prospect.loyalty_class, "new")
        self.assertFalse(
            self.Partner.search(
                [("loyalty_class", "=", "prospect"), ("id", "=", self.prospect.id)]
            )
        )
        # a stricter loyal threshold moves the loyal customer down a rung
        self.company.relationship_loyalty_loyal_index = 99.0
        self._score(force=True)
        self.assertEqual(self.steady.loyalty_class, "long_standing")
        loyal = self.Partner.search([("loyalty_class", "in", ("loyal", "advocate"))])
        self.assertNotIn(self.steady, loyal)

    def test_satisfaction_trap_quadrants(self):
        """Satisfied (>= 70 %) x loyal (index >= 70) on a known set."""
        with self._inputs(
            satisfaction={
                self.steady: 0.9,
                self.once: 0.95,
                self.grumpy: 0.3,
                self.let_down: 0.2,
            }
        ):
            self._score()
        self.assertGreaterEqual(self.grumpy.loyalty_index, 70)
        self.assertLess(self.once.loyalty_index, 70)
        self.assertLess(self.let_down.loyalty_index, 70)
        quadrants = {
            partner: partner.satisfaction_quadrant
            for partner in (self.steady, self.once, self.grumpy, self.let_down)
        }
        self.assertEqual(
            quadrants,
            {
                self.steady: "satisfied_loyal",
                self.once: "trap",
                self.grumpy: "loyal_unsatisfied",
                self.let_down: "neither",
            },
        )
        self.assertEqual(self.once.satisfaction_level, 95.0)
        # the report: counts, revenue and lifetime value per quadrant, and
        # nothing for the customers who never answered
        action = self.env.ref(
            "crm_relationship_scoring.res_partner_action_satisfaction_trap"
        )
        Score = self.env["crm.relationship.score"].with_company(self.company)
        groups = Score._read_group(
            [*safe_eval(action.domain), ("company_id", "=", self.company.id)],
            ["satisfaction_quadrant"],
            ["__count", "rfm_monetary:sum", "clv_value:sum"],
        )
        by_quadrant = {
            quadrant: (count, revenue) for quadrant, count, revenue, _c in groups
        }
        self.assertEqual(by_quadrant["trap"], (1, 80.0))
        self.assertEqual(by_quadrant["loyal_unsatisfied"], (1, 800.0))
        self.assertEqual(sum(count for count, _r in by_quadrant.values()), 4)
        self.assertFalse(
            Score.search(
                [
                    ("partner_id", "=", self.prospect.id),
                    ("satisfaction_quadrant", "!=", False),
                ]
            )
        )

    def test_unchanged_night_keeps_loyalty_rows(self):
        """A second run the same day with nothing new rewrites no score row
        (the loyalty columns are stable)."""
        self._score()
        Score = self.env["crm.relationship.score"]
        rows = Score.search([("company_id", "=", self.company.id)])
        before = {row.id: row.write_date for row in rows}
        run = self._score(force=True)
        self.env.invalidate_all()
        self.assertEqual({row.id: row.write_date for row in rows}, before)
        self.assertTrue(run)
