from .common import SatisfactionCase


class TestLoyaltyInputs(SatisfactionCase):
    """What the customers tell about their loyalty, handed to the nightly job
    of crm_relationship_scoring (installed in the test database) through
    ``res.partner._relationship_loyalty_inputs``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Question = cls.env["survey.question"]
        cls.q_wallet = Question.create(
            {
                "survey_id": cls.survey.id,
                "title": "Share of wallet",
                "sequence": 20,
                "question_type": "numerical_box",
                "relationship_role": "share_of_wallet",
            }
        )
        cls.q_competitor = Question.create(
            {
                "survey_id": cls.survey.id,
                "title": "Would consider another supplier",
                "sequence": 21,
                "question_type": "scale",
                "scale_min": 0,
                "scale_max": 10,
                "relationship_role": "competitor",
            }
        )

    def test_answer_stores_the_loyalty_answers(self):
        answer = self.answer({self.q_wallet: 60, self.q_competitor: 0})
        self.assertTrue(answer.share_of_wallet_answered)
        self.assertEqual(answer.share_of_wallet, 60)
        # 0 is an answer ("never"), not a missing value
        self.assertTrue(answer.competitor_answered)
        self.assertEqual(answer.competitor_consideration, 0)
        silent = self.answer({self.q_csat: 4})
        self.assertFalse(silent.share_of_wallet_answered)
        self.assertFalse(silent.competitor_answered)

    def test_out_of_scale_share_is_ignored(self):
        answer = self.answer({self.q_wallet: 140})
        self.assertFalse(answer.share_of_wallet_answered)

    def test_latest_answer_of_each_role_wins(self):
        self.answer({self.q_wallet: 30, self.q_competitor: 8}, end=self.days_ago(40))
        self.answer({self.q_wallet: 70}, end=self.days_ago(5))
        self.answer({self.q_nps: 10}, end=self.days_ago(2))
        silent = self.env["res.partner"].create({"name": "Never Answered"})
        inputs = self.env["res.partner"]._relationship_loyalty_inputs(
            self.customer | silent
        )
        # the answers of a contact count for its company (the customer)
        self.assertEqual(inputs["share_of_wallet"], {self.customer.id: 70.0})
        # the latest answer without the question does not erase the factor
        self.assertEqual(inputs["competitors"], {self.customer.id: 8.0})
        self.assertEqual(inputs["promoter"], {self.customer.id: True})
        self.assertIn(self.customer.id, inputs["satisfaction"])
        self.assertNotIn(silent.id, inputs["satisfaction"])

    def test_detractor_is_no_promoter(self):
        self.answer({self.q_nps: 9}, end=self.days_ago(30))
        self.answer({self.q_nps: 3}, end=self.days_ago(1))
        inputs = self.env["res.partner"]._relationship_loyalty_inputs(self.customer)
        self.assertEqual(inputs["promoter"], {})
        self.assertEqual(inputs["share_of_wallet"], {})

    def test_default_survey_asks_the_loyalty_questions(self):
        survey = self.env.ref("crm_relationship_survey.survey_annual_relationship")
        roles = set(survey.question_ids.mapped("relationship_role"))
        self.assertLessEqual({"share_of_wallet", "competitor"}, roles)
