from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user


class SatisfactionCase(TransactionCase):
    """Surveys built by hand, and answers completed the way the survey
    controller does (save the lines, then _mark_done)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.owner = new_test_user(
            cls.env,
            login="rel_survey_owner",
            groups="sales_team.group_sale_salesman",
            name="Relationship Owner",
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Happy Shop",
                "is_company": True,
                "email": "shop@example.com",
                "relationship_owner_id": cls.owner.id,
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Alice Buyer",
                "parent_id": cls.customer.id,
                "email": "alice@example.com",
            }
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Shop", "is_company": True, "email": "other@example.com"}
        )
        cls.survey = cls.env["survey.survey"].create(
            {
                "title": "Satisfaction test survey",
                "survey_type": "survey",
                "relationship_kind": "custom",
                "access_mode": "token",
            }
        )
        Question = cls.env["survey.question"]

        def scale(title, role, low, high, seq):
            return Question.create(
                {
                    "survey_id": cls.survey.id,
                    "title": title,
                    "sequence": seq,
                    "question_type": "scale",
                    "scale_min": low,
                    "scale_max": high,
                    "relationship_role": role,
                }
            )

        cls.q_csat = scale("CSAT", "csat", 1, 5, 1)
        cls.q_nps = scale("NPS", "nps", 0, 10, 2)
        cls.q_ces = scale("CES", "ces", 1, 7, 3)
        cls.q_expectation = scale("Expectation", "acsi_expectation", 1, 10, 4)
        cls.q_quality = scale("Quality", "acsi_quality", 1, 10, 5)
        cls.q_sat_overall = scale("Overall", "acsi_satisfaction", 1, 10, 6)
        cls.q_sat_confirm = scale("Confirmation", "acsi_satisfaction", 1, 10, 7)
        cls.q_sat_ideal = scale("Ideal", "acsi_satisfaction", 1, 10, 8)
        cls.q_comment = Question.create(
            {
                "survey_id": cls.survey.id,
                "title": "Comment",
                "sequence": 9,
                "question_type": "text_box",
            }
        )
        kano_answers = [
            "Like",
            "Must-be",
            "Neutral",
            "Live-with",
            "Dislike",
        ]

        def kano(title, role, feature, seq):
            return Question.create(
                {
                    "survey_id": cls.survey.id,
                    "title": title,
                    "sequence": seq,
                    "question_type": "simple_choice",
                    "relationship_role": role,
                    "kano_feature": feature,
                    # created in reverse order: the position comes from the
                    # sequence, not from the id
                    "suggested_answer_ids": [
                        (0, 0, {"value": value, "sequence": position})
                        for position, value in reversed(
                            list(enumerate(kano_answers, 1))
                        )
                    ],
                }
            )

        cls.q_kano_f = kano("Has feature X", "kano_functional", "Feature X", 10)
        cls.q_kano_d = kano("Lacks feature X", "kano_dysfunctional", "Feature X", 11)

    @classmethod
    def kano_answer(cls, question, position):
        return question.suggested_answer_ids.filtered(lambda a: a.sequence == position)

    @classmethod
    def answer(
        cls,
        values,
        partner=None,
        done=True,
        survey=None,
        end=None,
        company=None,
        **extra,
    ):
        """Answer the survey: values maps questions to raw answers (numbers
        for scales, a position 1-5 for Kano questions, text for text).
        ``company``: the company inviting (default: the current one), for
        answers about no order or complaint of a customer of no company."""
        survey = survey or cls.survey
        if company:
            survey = survey.with_company(company)
        user_input = survey._create_answer(
            partner=partner or cls.contact, check_attempts=False, **extra
        )
        for question, value in values.items():
            if question.question_type == "simple_choice":
                value = cls.kano_answer(question, value).id
            user_input._save_lines(question, str(value))
        if done:
            user_input._mark_done()
            if end:
                user_input.end_datetime = end
                user_input.relationship_partner_id._survey_recompute_rollup()
        return user_input

    @classmethod
    def days_ago(cls, days):
        return fields.Datetime.now() - timedelta(days=days)
