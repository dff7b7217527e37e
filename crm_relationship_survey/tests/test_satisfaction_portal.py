from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import SatisfactionCase


@tagged("post_install", "-at_install")
class TestSatisfactionPortal(HttpCase, SatisfactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env,
            login="rel_survey_portal",
            password="rel_survey_portal",
            groups="base.group_portal",
            partner_id=cls.contact.id,
        )
        cls.other_portal_user = new_test_user(
            cls.env,
            login="rel_survey_other_portal",
            password="rel_survey_other_portal",
            groups="base.group_portal",
            name="Other Buyer",
        )
        cls.other_portal_user.partner_id.parent_id = cls.other_customer
        cls.own_pending = cls.answer({}, done=False)
        cls.own_done = cls.answer({cls.q_nps: 10})
        cls.other_pending = cls.answer(
            {}, partner=cls.other_portal_user.partner_id, done=False
        )

    def test_my_surveys_lists_own_only(self):
        self.authenticate("rel_survey_portal", "rel_survey_portal")
        response = self.url_open("/my/surveys")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.own_pending.access_token, response.text)
        self.assertNotIn(self.other_pending.access_token, response.text)
        self.assertIn("o_satisfaction_done", response.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["satisfaction_survey_count"]}
        )
        self.assertEqual(counters["satisfaction_survey_count"], 1)

    def test_other_customer_sees_nothing_of_ours(self):
        self.authenticate("rel_survey_other_portal", "rel_survey_other_portal")
        response = self.url_open("/my/surveys")
        self.assertIn(self.other_pending.access_token, response.text)
        self.assertNotIn(self.own_pending.access_token, response.text)
        self.assertNotIn("o_satisfaction_done", response.text)

    def test_portal_user_cannot_read_answers(self):
        with self.assertRaises(AccessError):
            self.own_done.with_user(self.other_portal_user).read(["nps_score"])
        with self.assertRaises(AccessError):
            self.own_done.with_user(self.portal_user).read(["nps_score"])

    def test_get_survey_link_records_nothing(self):
        user_input = self.own_pending
        for url in (
            user_input.get_start_url(),
            f"/survey/{self.survey.access_token}/{user_input.access_token}",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200)
            self.assertIn(self.survey.title, response.text)
        user_input.invalidate_recordset()
        self.assertEqual(user_input.state, "new")
        self.assertFalse(user_input.user_input_line_ids)
        self.assertFalse(user_input.nps_category)
        self.assertEqual(self.customer.survey_response_count, 1)


@tagged("post_install", "-at_install")
class TestSatisfactionPortalTour(HttpCase, SatisfactionCase):
    """A customer answers the post-purchase survey from the portal."""

    def test_portal_customer_answers_post_purchase_survey(self):
        survey = self.env.ref("crm_relationship_survey.survey_post_purchase")
        company = self.env.company
        company.write(
            {"survey_order_survey_id": survey.id, "survey_followup_mode": "activity"}
        )
        new_test_user(
            self.env,
            login="rel_survey_tour",
            password="rel_survey_tour",
            groups="base.group_portal",
            partner_id=self.contact.id,
        )
        product = self.env["product.product"].create({"name": "Tour Widget"})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.contact.id,
                "order_line": [(0, 0, {"product_id": product.id})],
            }
        )
        order.action_confirm()
        invitation = self.contact._survey_send_invitation(
            survey, sale_order=order, throttle=False
        )
        # the salesperson already has a promoter this month: NPS 100
        self.other_customer.relationship_owner_id = self.owner
        promoter = self.answer({self.q_nps: 10}, partner=self.other_customer)
        report = self.env.ref("crm_relationship_survey.survey_user_input_action_nps")
        domain = safe_eval(report.domain) + [
            ("relationship_owner_id", "=", self.owner.id)
        ]

        def nps_of_the_month():
            self.env.flush_all()
            groups = self.env["survey.user_input"].read_group(
                domain,
                ["nps_points:avg"],
                ["relationship_owner_id", "end_datetime:month"],
                lazy=False,
            )
            self.assertEqual(len(groups), 1)
            return groups[0]["nps_points"], groups[0]["__count"]

        self.assertEqual(nps_of_the_month(), (100, 1))

        self.start_tour(
            "/my", "crm_relationship_survey_portal_tour", login="rel_survey_tour"
        )

        invitation.invalidate_recordset()
        self.assertEqual(invitation.state, "done")
        self.assertEqual(invitation.csat_score, 3)
        self.assertEqual(invitation.nps_score, 4)
        self.assertEqual(invitation.nps_category, "detractor")
        # the customer's roll-up
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.last_nps_score, 4)
        self.assertEqual(self.customer.last_nps_category, "detractor")
        self.assertEqual(self.customer.survey_response_count, 1)
        self.assertEqual(self.customer.csat_avg_12m, 3)
        # the company report: one promoter, one detractor -> NPS 0
        self.assertEqual(nps_of_the_month(), (0, 2))
        self.assertTrue(promoter.nps_category == "promoter")
        # the follow-up of the relationship owner, once
        followup_domain = [
            ("res_model", "=", "res.partner"),
            ("res_id", "=", self.customer.id),
            ("summary", "like", "Unhappy customer"),
        ]
        activities = self.env["mail.activity"].search(followup_domain)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.owner)
        self.assertIn("two weeks late", str(activities.note))
        self.assertEqual(invitation.followup_activity_id, activities)
        invitation._relationship_create_followups()
        invitation._mark_done()
        self.assertEqual(
            self.env["mail.activity"].search_count(followup_domain),
            1,
        )
