"""Value tiers: percentile and amount rules (80/20), ties, locks,
tracking, the tier pricelist on quotations."""

from odoo.exceptions import UserError, ValidationError

from .common import RelationshipCase


class TestTiers(RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Tier = cls.env["crm.relationship.tier"]
        cls.platinum = cls.env.ref("crm_relationship.tier_platinum")
        cls.gold = cls.env.ref("crm_relationship.tier_gold")
        cls.silver = cls.env.ref("crm_relationship.tier_silver")
        cls.bronze = cls.env.ref("crm_relationship.tier_bronze")

    def test_percentile_tiers_follow_80_20(self):
        values = {pid: float(100 - pid) for pid in range(1, 101)}  # 100 distinct
        result = self.Tier._assign(values)
        counts = {}
        for tier in result.values():
            counts[tier.name] = counts.get(tier.name, 0) + 1
        self.assertEqual(
            counts, {"Platinum": 5, "Gold": 15, "Silver": 30, "Bronze": 50}
        )
        self.assertEqual(result[1], self.platinum)
        self.assertEqual(result[100], self.bronze)

    def test_ties_are_never_split(self):
        values = {pid: 10.0 for pid in range(1, 21)}
        values[21] = 99.0
        result = self.Tier._assign(values)
        self.assertEqual(result[21], self.platinum)  # 0 % above it
        self.assertEqual(len({result[pid] for pid in range(1, 21)}), 1)
        # 1 of 21 customers (4.8 %) is above the tied ones: they all stay in the
        # top 5 %, together, rather than being split between two tiers
        self.assertEqual(result[1], self.platinum)

    def test_single_customer_company(self):
        result = self.Tier._assign({7: 12.0})
        self.assertEqual(result[7], self.platinum)

    def test_amount_rule(self):
        (self.platinum | self.gold | self.silver | self.bronze).write({"active": False})
        big = self.Tier.create(
            {"name": "Big", "rule": "revenue_12m_min", "threshold": 1000, "sequence": 1}
        )
        small = self.Tier.create(
            {
                "name": "Small",
                "rule": "revenue_12m_min",
                "threshold": 100,
                "sequence": 2,
            }
        )
        result = self.Tier._assign({1: 5000.0, 2: 1000.0, 3: 500.0, 4: 50.0})
        self.assertEqual(result[1], big)
        self.assertEqual(result[2], big)
        self.assertEqual(result[3], small)
        self.assertFalse(result[4])

    def test_overlapping_percentiles_are_rejected(self):
        with self.assertRaisesRegex(ValidationError, "overlap"):
            self.gold.write({"threshold": 80})  # 5 + 80 + 30 + 50 > 100

    def test_empty_share_is_rejected(self):
        with self.assertRaisesRegex(ValidationError, "between 0 and 100"):
            self.platinum.write({"threshold": 0})

    def test_revenue_tiers_must_decrease(self):
        (self.platinum | self.gold | self.silver | self.bronze).write({"active": False})
        self.Tier.create(
            {
                "name": "Big",
                "rule": "revenue_12m_min",
                "threshold": 1000,
                "sequence": 50,
            }
        )
        with self.assertRaisesRegex(ValidationError, "less revenue"):
            self.Tier.create(
                {
                    "name": "Bigger",
                    "rule": "revenue_12m_min",
                    "threshold": 5000,
                    "sequence": 60,
                }
            )

    def test_assignment_respects_locks_and_tracks(self):
        top = self._customer("Top buyer")
        self._order(top, qty=50)
        low = self._customer("Small buyer")
        self._order(low, qty=1)
        low.write({"value_tier_id": self.platinum.id, "value_tier_locked": True})
        self.env["res.partner"]._relationship_assign_tiers()
        self.assertEqual(low.value_tier_id, self.platinum)
        self.assertTrue(top.value_tier_id)

    def test_tier_pricelist_on_new_quotation(self):
        pricelist = self.env["product.pricelist"].create(
            {"name": "Gold prices", "company_id": False}
        )
        self.gold.pricelist_id = pricelist
        partner = self._customer()
        partner.value_tier_id = self.gold
        order = self._order(partner, confirm=False)
        self.assertEqual(order.pricelist_id, pricelist)
        self.assertEqual(order.value_tier_id, self.gold)

    def test_tier_in_use_cannot_be_deleted(self):
        partner = self._customer()
        partner.value_tier_id = self.gold
        with self.assertRaisesRegex(UserError, "archive the tier"):
            self.gold.unlink()
