from odoo.tests import tagged

from ..models.satisfaction_data import KANO_TABLE, kano_category
from .common import SatisfactionCase


@tagged("post_install", "-at_install")
class TestSatisfactionIndices(SatisfactionCase):
    def test_nps_category_boundaries(self):
        expected = {
            0: ("detractor", -100),
            6: ("detractor", -100),
            7: ("passive", 0),
            8: ("passive", 0),
            9: ("promoter", 100),
            10: ("promoter", 100),
        }
        for score, (category, points) in expected.items():
            with self.subTest(score=score):
                user_input = self.answer({self.q_nps: score})
                self.assertEqual(user_input.nps_score, score)
                self.assertEqual(user_input.nps_category, category)
                self.assertEqual(user_input.nps_points, points)

    def test_scores_only_when_done(self):
        user_input = self.answer({self.q_nps: 9, self.q_csat: 5}, done=False)
        self.assertFalse(user_input.nps_category)
        self.assertEqual(user_input.csat_score, 0)
        user_input._mark_done()
        self.assertEqual(user_input.nps_category, "promoter")
        self.assertEqual(user_input.csat_score, 5)

    def test_csat_ces(self):
        satisfied = self.answer({self.q_csat: 4, self.q_ces: 6})
        self.assertEqual(satisfied.csat_score, 4)
        self.assertEqual(satisfied.csat_satisfied, 100)
        self.assertEqual(satisfied.ces_score, 6)
        neutral = self.answer({self.q_csat: 3})
        self.assertEqual(neutral.csat_score, 3)
        self.assertEqual(neutral.csat_satisfied, 0)
        self.assertEqual(neutral.ces_score, 0)
        self.assertFalse(neutral.nps_category)

    def test_out_of_scale_answer_ignored(self):
        user_input = self.answer({self.q_csat: 7})
        self.assertEqual(user_input.csat_score, 0)

    def test_acsi_index_and_ratio(self):
        user_input = self.answer(
            {
                self.q_expectation: 8,
                self.q_quality: 6,
                self.q_sat_overall: 10,
                self.q_sat_confirm: 7,
                self.q_sat_ideal: 4,
            }
        )
        # mean(10, 7, 4) = 7 -> (7 - 1) / 9 * 100
        self.assertAlmostEqual(user_input.acsi_index, 66.67, places=2)
        self.assertTrue(user_input.acsi_answered)
        self.assertAlmostEqual(user_input.satisfaction_ratio, 0.75, places=3)
        lowest = self.answer(
            {self.q_sat_overall: 1, self.q_sat_confirm: 1, self.q_sat_ideal: 1}
        )
        self.assertEqual(lowest.acsi_index, 0)
        self.assertTrue(lowest.acsi_answered)
        self.assertEqual(lowest.satisfaction_ratio, 0)
        highest = self.answer(
            {self.q_sat_overall: 10, self.q_sat_confirm: 10, self.q_sat_ideal: 10}
        )
        self.assertEqual(highest.acsi_index, 100)

    def test_kano_table(self):
        self.assertEqual(len(KANO_TABLE), 5)
        cells = {
            (1, 1): "Q",
            (5, 5): "Q",
            (1, 5): "O",
            (1, 2): "A",
            (1, 4): "A",
            (2, 5): "M",
            (4, 5): "M",
            (3, 3): "I",
            (2, 4): "I",
            (2, 1): "R",
            (5, 1): "R",
            (5, 4): "R",
        }
        for (functional, dysfunctional), category in cells.items():
            with self.subTest(f=functional, d=dysfunctional):
                self.assertEqual(kano_category(functional, dysfunctional), category)
        self.assertFalse(kano_category(0, 3))

    def test_kano_results_per_response(self):
        for functional, dysfunctional, category in (
            (1, 5, "O"),
            (1, 1, "Q"),
            (5, 1, "R"),
            (2, 5, "M"),
        ):
            with self.subTest(category=category):
                user_input = self.answer(
                    {self.q_kano_f: functional, self.q_kano_d: dysfunctional}
                )
                result = user_input.kano_result_ids
                self.assertEqual(len(result), 1)
                self.assertEqual(result.feature, "Feature X")
                self.assertEqual(result.functional_answer, functional)
                self.assertEqual(result.dysfunctional_answer, dysfunctional)
                self.assertEqual(result.category, category)
                self.assertEqual(result.partner_id, self.customer)

    def test_kano_needs_both_questions(self):
        user_input = self.answer({self.q_kano_f: 1})
        self.assertFalse(user_input.kano_result_ids)

    def test_nps_aggregate(self):
        # 5 promoters, 3 passives, 2 detractors: NPS = 50% - 20% = 30
        scores = [10, 9, 9, 10, 9, 7, 8, 7, 0, 6]
        inputs = self.env["survey.user_input"]
        for score in scores:
            inputs |= self.answer({self.q_nps: score})
        promoters = len([s for s in scores if s >= 9]) / len(scores) * 100
        detractors = len([s for s in scores if s <= 6]) / len(scores) * 100
        [(nps,)] = self.env["survey.user_input"]._read_group(
            [("id", "in", inputs.ids), ("nps_category", "!=", False)],
            aggregates=["nps_points:avg"],
        )
        self.assertAlmostEqual(nps, promoters - detractors)
        self.assertAlmostEqual(nps, 30.0)
        # grouping by salesperson: the snapshot of the relationship owner
        groups = dict(
            self.env["survey.user_input"]._read_group(
                [("id", "in", inputs.ids)],
                ["relationship_owner_id"],
                ["nps_points:avg"],
            )
        )
        self.assertAlmostEqual(groups[self.owner], 30.0)

    def test_snapshot_at_answer_time(self):
        user_input = self.answer({self.q_nps: 9})
        self.assertEqual(user_input.relationship_partner_id, self.customer)
        self.assertEqual(user_input.relationship_owner_id, self.owner)
        self.customer.relationship_owner_id = self.env.user
        self.assertEqual(user_input.relationship_owner_id, self.owner)

    def test_default_surveys(self):
        post = self.env.ref("crm_relationship_survey.survey_post_purchase")
        roles = set(post.question_ids.mapped("relationship_role"))
        self.assertEqual(roles, {"csat", "nps", False})
        annual = self.env.ref("crm_relationship_survey.survey_annual_relationship")
        self.assertEqual(
            len(
                annual.question_ids.filtered(
                    lambda q: q.relationship_role == "acsi_satisfaction"
                )
            ),
            3,
        )
        kano = self.env.ref("crm_relationship_survey.survey_kano_example")
        self.assertEqual(len(set(kano.question_ids.mapped("kano_feature"))), 2)
        self.assertTrue(
            all(len(q.suggested_answer_ids) == 5 for q in kano.question_ids)
        )
        # the default Kano survey classifies when answered
        answers = {}
        for question in kano.question_ids:
            ordered = question.suggested_answer_ids.sorted("sequence")
            position = 1 if question.relationship_role == "kano_functional" else 5
            answers[question] = ordered[position - 1]
        user_input = kano._create_answer(partner=self.contact, check_attempts=False)
        for question, answer in answers.items():
            user_input._save_lines(question, str(answer.id))
        user_input._mark_done()
        self.assertEqual(user_input.kano_result_ids.mapped("category"), ["O", "O"])
