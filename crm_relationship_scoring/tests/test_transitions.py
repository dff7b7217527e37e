"""Score transitions (issue 15, item 1): a nightly run creates one transition
per customer whose RFM segment or churn-risk level moved, through the ORM, so
that an automation rule fires once per move; a rerun creates nothing."""

from datetime import timedelta

from .common import ScoringCase


class TestScoreTransitions(ScoringCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._synthetic_customers("Tea drinker")
        cls.Transition = cls.env["crm.relationship.transition"]

    def _moves(self, run):
        return self.Transition.search(
            [
                ("partner_id", "in", self.customers.ids),
                ("kind", "in", ("segment", "risk_level")),
                ("run_id", "=", run.id),
            ]
        )

    def test_moves_of_a_night_fire_a_rule_once(self):
        rule = self.env.ref(
            "crm_relationship_scoring.automation_segment_at_risk_activity"
        )
        self.assertFalse(rule.active)
        rule.active = True
        first = self._score(force=True)
        # the first run places every customer: no move
        self.assertFalse(self._moves(first))
        later = self.today + timedelta(days=120)
        run = self._score(force=True, today=later)
        self.assertNotEqual(run, first)
        snapshots = run.snapshot_ids.filtered(lambda s: s.partner_id in self.customers)
        expected = {
            ("segment", s.partner_id.id, s.previous_segment, s.rfm_segment)
            for s in snapshots
            if s.previous_segment and s.previous_segment != s.rfm_segment
        } | {
            ("risk_level", s.partner_id.id, s.previous_risk_level, s.churn_risk_level)
            for s in snapshots
            if s.previous_risk_level and s.previous_risk_level != s.churn_risk_level
        }
        moves = self._moves(run)
        got = {
            (
                m.kind,
                m.partner_id.id,
                m.from_segment if m.kind == "segment" else m.from_risk_level,
                m.to_segment if m.kind == "segment" else m.to_risk_level,
            )
            for m in moves
        }
        self.assertEqual(got, expected)
        self.assertEqual(len(moves), len(expected))  # one per move
        at_risk = moves.filtered(
            lambda m: m.kind == "segment" and m.to_segment == "at_risk"
        )
        # the premise of the test: 120 days later some customers are at risk
        self.assertTrue(at_risk)
        self.assertTrue(all(m.automatic and m.user_id == self.salesman for m in moves))
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", self.customers.ids),
                ("summary", "in", at_risk.mapped("name")),
            ]
        )
        self.assertEqual(
            sorted(activities.mapped("res_id")), sorted(at_risk.partner_id.ids)
        )
        self.assertEqual(set(activities.user_id.ids), {self.salesman.id})
        # the same night again: nothing moved, nothing new
        rerun = self._score(force=True, today=later)
        # (a forced run of the same day redoes that day's run)
        self.assertEqual(rerun, run)
        self.assertEqual(self._moves(rerun), moves)
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.customers.ids),
                    ("summary", "in", at_risk.mapped("name")),
                ]
            ),
            len(activities),
        )
