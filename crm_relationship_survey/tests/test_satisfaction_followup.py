from odoo.tests import tagged

from .common import SatisfactionCase


@tagged("post_install", "-at_install")
class TestSatisfactionFollowup(SatisfactionCase):
    def _activities(self):
        return self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )

    def test_detractor_creates_activity_once(self):
        self.env.company.survey_followup_mode = "activity"
        user_input = self.answer({self.q_nps: 6, self.q_comment: "Late delivery"})
        activity = self._activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.owner)
        self.assertIn("Late delivery", str(activity.note))
        self.assertTrue(user_input.followup_done)
        self.assertEqual(user_input.followup_activity_id, activity)
        # completing again (or running the follow-up again) creates nothing
        user_input._relationship_create_followups()
        user_input._mark_done()
        self.assertEqual(len(self._activities()), 1)
        # even once the activity is done
        activity.action_feedback(feedback="Called")
        user_input._relationship_create_followups()
        self.assertFalse(self._activities())

    def test_low_csat_creates_followup(self):
        self.answer({self.q_csat: 2})
        self.assertEqual(len(self._activities()), 1)

    def test_happy_customer_no_followup(self):
        user_input = self.answer({self.q_nps: 7, self.q_csat: 3})
        self.assertFalse(self._activities())
        self.assertFalse(user_input.followup_done)

    def test_followup_as_complaint(self):
        self.env.company.survey_followup_mode = "complaint"
        Complaint = self.env["crm.relationship.complaint"]
        before = Complaint.search_count([("partner_id", "=", self.customer.id)])
        user_input = self.answer({self.q_csat: 1})
        complaint = user_input.followup_complaint_id
        self.assertTrue(complaint)
        self.assertEqual(complaint.partner_id, self.customer)
        self.assertEqual(complaint.user_id, self.owner)
        user_input._relationship_create_followups()
        self.assertEqual(
            Complaint.search_count([("partner_id", "=", self.customer.id)]),
            before + 1,
        )
        self.assertFalse(self._activities())

    def test_followup_disabled(self):
        self.env.company.survey_followup_mode = "none"
        user_input = self.answer({self.q_nps: 0})
        self.assertFalse(self._activities())
        self.assertFalse(user_input.followup_done)

    def test_followup_note_escapes_the_customer_comment(self):
        """The comment typed by the customer is text: escaped, on its own line."""
        comment = '<script>alert("x")</script><img src=x onerror=alert(1)>'
        self.answer({self.q_nps: 2, self.q_comment: comment})
        note = str(self._activities().note)
        self.assertNotIn("<script>", note)
        self.assertNotIn("<img", note)
        self.assertIn("&lt;script&gt;", note)
        self.assertIn("(NPS 2)<br>", note.replace("<br/>", "<br>"))
        self.assertNotIn("&lt;br", note)
        self.env.company.survey_followup_mode = "complaint"
        user_input = self.answer({self.q_csat: 1, self.q_comment: comment})
        description = str(user_input.followup_complaint_id.description)
        self.assertNotIn("<script>", description)
        self.assertIn("&lt;script&gt;", description)
