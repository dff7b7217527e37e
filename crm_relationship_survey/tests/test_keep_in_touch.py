"""A completed survey answer is a touch of the keep-in-touch cadences of the
base addon (issue 15, item 3)."""

from .common import SatisfactionCase


class TestSurveyTouch(SatisfactionCase):
    def test_completed_answer_is_the_last_touch(self):
        Partner = self.env["res.partner"]
        self.assertNotIn(
            self.customer.id, Partner._relationship_touch_dates(self.customer)
        )
        # an answer left unfinished is no touch
        self.answer({self.q_csat: 4}, done=False)
        self.assertNotIn(
            self.customer.id, Partner._relationship_touch_dates(self.customer)
        )
        # a completed one of a contact is the customer's last touch
        end = self.days_ago(4).replace(microsecond=0)
        self.answer({self.q_csat: 5}, end=end)
        self.assertEqual(
            Partner._relationship_touch_dates(self.customer), {self.customer.id: end}
        )
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.relationship_last_contact, end)
        # a later touch of another source wins
        self.customer.message_post(
            body="Thank you for your answers.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            author_id=self.owner.partner_id.id,
        )
        self.assertGreater(
            Partner._relationship_touch_dates(self.customer)[self.customer.id], end
        )
