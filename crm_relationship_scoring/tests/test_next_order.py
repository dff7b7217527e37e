"""The expected next order of each customer (issue 15, item 4): stored with
the scores by the nightly run, shown on the partner, searchable, and a
transition when it becomes overdue."""

from datetime import timedelta

import numpy as np

from ..engine import clv, next_order
from .common import ScoringCase


class TestNextOrder(ScoringCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._synthetic_customers("Tea taster")

    def _reference(self, today_offset=0):
        days = [np.array(d, float) + today_offset for d, _a in self.plan]
        amounts = [a for _d, a in self.plan]
        frequency = np.array([len(d) - 1 for d in days], float)
        recency = np.array([d[0] - d[-1] for d in days], float)
        age = np.array([d[0] for d in days], float)
        monetary = np.array(
            [np.mean(a[1:]) if len(a) > 1 else a[0] for a in amounts], float
        )
        scores = clv.score_customers(
            frequency, recency, age, monetary, **self._engine_settings()
        )
        return next_order.expected_next_order(
            frequency, recency, age, params=scores.bgnbd, method=scores.method
        )

    def test_next_order_dates_on_a_known_history(self):
        self._score(force=True)
        ref = self._reference()
        self.assertIn(next_order.BASIS_MODEL, set(ref.basis))
        self.env.invalidate_all()
        for i, customer in enumerate(self.customers):
            with self.subTest(customer=customer.name):
                self.assertEqual(customer.next_order_basis, ref.basis[i])
                if ref.basis[i] == next_order.BASIS_ONE_TIME:
                    self.assertFalse(customer.next_order_date)
                    self.assertFalse(customer.next_order_overdue)
                    continue
                # the last purchase plus the gap expected at that purchase
                last = self.today - timedelta(days=int(ref.idle[i]))
                self.assertEqual(
                    customer.next_order_date,
                    self.today
                    + timedelta(days=int(np.round(ref.expected_gap[i] - ref.idle[i]))),
                )
                self.assertGreaterEqual(customer.next_order_date, last)
                self.assertLessEqual(
                    customer.next_order_low_date, customer.next_order_date
                )
                self.assertLessEqual(
                    customer.next_order_date, customer.next_order_high_date
                )
                margin = self.company.relationship_next_order_margin / 100.0
                self.assertEqual(
                    customer.next_order_overdue, bool(ref.overdue(margin=margin)[i])
                )
        overdue = self.customers.filtered("next_order_overdue")
        self.assertEqual(
            self.Partner.search(
                [("id", "in", self.customers.ids), ("next_order_overdue", "=", True)]
            ),
            overdue,
        )

    def test_becoming_overdue_is_one_transition(self):
        Transition = self.env["crm.relationship.transition"]

        def late():
            return Transition.search(
                [("partner_id", "in", self.customers.ids), ("kind", "=", "next_order")]
            )

        self._score(force=True)
        self.env.invalidate_all()
        on_time = self.customers.filtered(
            lambda c: c.next_order_date and not c.next_order_overdue
        )
        self.assertTrue(on_time)
        self.assertFalse(late())  # the first run places: no move
        later = self.today + timedelta(days=400)
        self._score(force=True, today=later)
        self.env.invalidate_all()
        now_late = on_time.filtered("next_order_overdue")
        self.assertTrue(now_late)
        moves = late()
        self.assertEqual(moves.partner_id, now_late)
        self.assertEqual(len(moves), len(now_late))
        self.assertEqual(set(moves.mapped("to_label")), {"Overdue"})
        self._score(force=True, today=later)
        self.assertEqual(late(), moves)
