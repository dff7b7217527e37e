from odoo.tests import tagged

from .common import SatisfactionCase


@tagged("post_install", "-at_install")
class TestSatisfactionRollup(SatisfactionCase):
    def test_rollup_on_commercial_partner(self):
        self.answer({self.q_nps: 9, self.q_csat: 5}, end=self.days_ago(30))
        self.assertEqual(self.customer.survey_response_count, 1)
        self.assertEqual(self.customer.last_nps_score, 9)
        self.assertEqual(self.customer.last_nps_category, "promoter")
        self.assertEqual(self.customer.nps_trend, 0)
        self.assertFalse(self.contact.survey_response_count)
        ten_days_ago = self.days_ago(10)
        self.answer({self.q_nps: 4, self.q_csat: 2}, end=ten_days_ago)
        self.assertEqual(self.customer.survey_response_count, 2)
        self.assertEqual(self.customer.last_nps_score, 4)
        self.assertEqual(self.customer.last_nps_category, "detractor")
        self.assertEqual(self.customer.nps_trend, -5)
        self.assertAlmostEqual(self.customer.csat_avg_12m, 3.5)
        self.assertEqual(
            self.customer.last_survey_date, ten_days_ago.replace(microsecond=0)
        )
        # an older answer does not change the last NPS, only the trend base
        self.answer({self.q_nps: 10}, end=self.days_ago(60))
        self.assertEqual(self.customer.last_nps_score, 4)
        self.assertEqual(self.customer.nps_trend, -5)
        self.assertEqual(self.customer.survey_response_count, 3)
        self.assertFalse(self.other_customer.survey_response_count)

    def test_csat_window_and_acsi(self):
        self.answer({self.q_csat: 1}, end=self.days_ago(400))
        self.answer({self.q_csat: 5}, end=self.days_ago(100))
        self.assertEqual(self.customer.csat_avg_12m, 5)
        self.answer(
            {
                self.q_expectation: 5,
                self.q_quality: 10,
                self.q_sat_overall: 10,
                self.q_sat_confirm: 10,
                self.q_sat_ideal: 10,
            },
            end=self.days_ago(5),
        )
        self.assertEqual(self.customer.acsi_index, 100)
        self.assertEqual(self.customer.satisfaction_ratio, 2)
        # a later answer without ACSI items keeps the last ACSI index
        self.answer({self.q_csat: 3}, end=self.days_ago(1))
        self.assertEqual(self.customer.acsi_index, 100)
        self.assertEqual(self.customer.csat_avg_12m, 4)

    def test_pending_and_foreign_answers_ignored(self):
        self.answer({self.q_nps: 3}, done=False)
        self.assertEqual(self.customer.survey_response_count, 0)
        plain = self.env["survey.survey"].create(
            {"title": "Not a satisfaction survey", "survey_type": "survey"}
        )
        question = self.env["survey.question"].create(
            {
                "survey_id": plain.id,
                "title": "Score",
                "question_type": "scale",
                "relationship_role": "nps",
            }
        )
        self.answer({question: 2}, survey=plain)
        self.assertEqual(self.customer.survey_response_count, 0)
        self.assertFalse(self.customer.last_nps_category)

    def test_batch_rollup(self):
        first = self.answer({self.q_nps: 10}, partner=self.customer, done=False)
        second = self.answer({self.q_nps: 0}, partner=self.other_customer, done=False)
        (first | second)._mark_done()
        self.assertEqual(self.customer.last_nps_category, "promoter")
        self.assertEqual(self.other_customer.last_nps_category, "detractor")

    def test_health_score_input(self):
        """Satisfaction reaches the health score through the overridable
        hook of the scoring addon (installed in the test database)."""
        self.env.company.survey_health_weight = 30
        # last NPS 8 -> 0.8; CSAT 12 months (2 + 4) / 2 = 3 -> (3 - 1) / 4 = 0.5
        self.answer({self.q_nps: 3, self.q_csat: 2}, end=self.days_ago(20))
        self.answer({self.q_nps: 8, self.q_csat: 4}, end=self.days_ago(10))
        silent = self.env["res.partner"].create({"name": "Never Answered"})
        Partner = self.env["res.partner"]
        inputs = Partner._relationship_health_inputs(
            self.customer | self.contact | silent
        )
        weight, values = inputs["satisfaction"]
        self.assertEqual(weight, 30)
        self.assertEqual(set(values), {self.customer.id, self.contact.id})
        self.assertAlmostEqual(values[self.customer.id], (0.8 + 0.5) / 2)
        self.assertAlmostEqual(values[self.contact.id], (0.8 + 0.5) / 2)
        # weight 0 leaves satisfaction out of the health score
        self.env.company.survey_health_weight = 0
        self.assertNotIn(
            "satisfaction", Partner._relationship_health_inputs(self.customer)
        )

    def test_health_input_of_unhappy_customer(self):
        """NPS 0 and CSAT 1 are the bottom of both scales: satisfaction 0."""
        self.env.company.survey_health_weight = 100
        self.answer({self.q_nps: 0, self.q_csat: 1}, end=self.days_ago(1))
        inputs = self.env["res.partner"]._relationship_health_inputs(self.customer)
        self.assertEqual(inputs["satisfaction"], (100, {self.customer.id: 0.0}))
