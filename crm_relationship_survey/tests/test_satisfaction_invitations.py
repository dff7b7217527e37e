from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SatisfactionCase


@tagged("post_install", "-at_install")
class TestSatisfactionInvitations(SatisfactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create(
            {"name": "Satisfaction Widget", "list_price": 10.0}
        )
        cls.env.company.write(
            {
                "survey_order_survey_id": cls.survey.id,
                "survey_order_delay": 7,
                "survey_throttle_days": 30,
                "survey_deadline_days": 14,
                "survey_complaint_survey_id": False,
                "survey_periodic_survey_id": False,
            }
        )

    def _order(self, days_ago=10, partner=None):
        order = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.contact).id,
                "order_line": [(0, 0, {"product_id": self.product.id})],
            }
        )
        order.action_confirm()
        order.date_order = self.days_ago(days_ago)
        return order

    def _invites(self, order):
        return self.env["survey.user_input"].search([("sale_order_id", "=", order.id)])

    def test_invitation_after_order(self):
        order = self._order()
        recent = self._order(days_ago=1, partner=self.other_customer)
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        invite = self._invites(order)
        self.assertEqual(len(invite), 1)
        self.assertEqual(invite.partner_id, self.contact)
        self.assertEqual(invite.survey_id, self.survey)
        self.assertEqual(invite.state, "new")
        self.assertTrue(invite.access_token)
        self.assertTrue(invite.deadline)
        self.assertTrue(order.satisfaction_invite_done)
        self.assertTrue(self.customer.survey_last_invite_date)
        mail = self.env["mail.mail"].search(
            [("model", "=", "survey.user_input"), ("res_id", "=", invite.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn(self.contact, mail.recipient_ids)
        self.assertIn(invite.access_token, mail.body_html)
        # not due yet
        self.assertFalse(self._invites(recent))
        self.assertFalse(recent.satisfaction_invite_done)
        # processed orders are not invited twice
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertEqual(len(self._invites(order)), 1)

    def test_opt_out_respected(self):
        self.customer.survey_opt_out = True
        order = self._order()
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertFalse(self._invites(order))
        self.assertTrue(order.satisfaction_invite_done)
        with self.assertRaises(UserError):
            order.action_send_satisfaction_survey()
        with self.assertRaises(UserError):
            self.customer.action_send_satisfaction_survey()
        self.assertFalse(
            self.env["survey.user_input"].search(
                [("relationship_partner_id", "=", self.customer.id)]
            )
        )

    def test_blacklist_respected(self):
        self.env["mail.blacklist"].sudo()._add(self.contact.email)
        order = self._order()
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertFalse(self._invites(order))

    def test_throttle_one_invitation_per_customer(self):
        first = self._order(days_ago=12)
        second = self._order(days_ago=10)
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertEqual(len(self._invites(first) | self._invites(second)), 1)
        # the manual button ignores the throttle, not the opt-out
        second.action_send_satisfaction_survey()
        self.assertEqual(len(self._invites(first) | self._invites(second)), 2)

    def test_invitation_after_closed_complaint(self):
        self.env.company.survey_complaint_survey_id = self.survey
        self.env.company.survey_order_survey_id = False
        closed_stage = self.env["crm.relationship.complaint.stage"].search(
            [("state", "=", "closed")], limit=1
        )
        complaint = self.env["crm.relationship.complaint"].create(
            {"partner_id": self.customer.id, "contact_id": self.contact.id}
        )
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertFalse(complaint.satisfaction_input_ids)
        complaint.write({"stage_id": closed_stage.id, "resolution_type": "apology"})
        self.assertTrue(complaint.date_closed)
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertEqual(len(complaint.satisfaction_input_ids), 1)
        self.assertEqual(complaint.satisfaction_input_ids.partner_id, self.contact)
