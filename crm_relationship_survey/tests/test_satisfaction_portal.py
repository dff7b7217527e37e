from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

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

    def test_rate_order_button(self):
        product = self.env["product.product"].create({"name": "Rated Widget"})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.contact.id,
                "order_line": [(0, 0, {"product_id": product.id})],
            }
        )
        order.action_confirm()
        self.env.company.survey_order_survey_id = False
        self.authenticate("rel_survey_portal", "rel_survey_portal")
        response = self.url_open(order.get_portal_url())
        self.assertNotIn("o_satisfaction_rate_order", response.text)
        self.env.company.survey_order_survey_id = self.survey
        response = self.url_open(order.get_portal_url())
        self.assertIn("o_satisfaction_rate_order", response.text)
