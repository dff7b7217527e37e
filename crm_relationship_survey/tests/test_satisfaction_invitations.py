from datetime import timedelta

from odoo import fields
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
        # the manual button applies the throttle too, and says when the
        # customer was last asked
        with self.assertRaisesRegex(UserError, "last asked"):
            second.action_send_satisfaction_survey()
        self.assertEqual(len(self._invites(first) | self._invites(second)), 1)
        # once the window is over, it sends
        self.customer.sudo().survey_last_invite_date = self.days_ago(31)
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

    # ------------------------------------------------------------------
    # delays
    # ------------------------------------------------------------------
    def test_order_delay(self):
        """Invited N days after confirmation, not before; orders older than
        the delay plus the 30-day window are never invited."""
        not_due = self._order(days_ago=6)
        due = self._order(days_ago=8, partner=self.other_customer)
        ancient = self._order(days_ago=7 + 31, partner=self.other_customer)
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertFalse(self._invites(not_due))
        self.assertFalse(not_due.satisfaction_invite_done)
        self.assertEqual(len(self._invites(due)), 1)
        self.assertFalse(self._invites(ancient))
        # a shorter delay makes the 6-day old order due
        self.env.company.survey_order_delay = 5
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertEqual(len(self._invites(not_due)), 1)
        self.assertEqual(self._invites(not_due).partner_id, self.contact)

    def test_unconfirmed_order_not_invited(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.contact.id,
                "order_line": [(0, 0, {"product_id": self.product.id})],
                "date_order": self.days_ago(10),
            }
        )
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertEqual(order.state, "draft")
        self.assertFalse(self._invites(order))

    def test_invitation_deadline(self):
        order = self._order()
        before = fields.Datetime.now()
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        invite = self._invites(order)
        self.assertAlmostEqual(
            invite.deadline, before + timedelta(days=14), delta=timedelta(minutes=1)
        )
        # no deadline when the validity is 0
        self.env.company.survey_deadline_days = 0
        second = self._order(partner=self.other_customer)
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertTrue(self._invites(second))
        self.assertFalse(self._invites(second).deadline)

    def test_complaint_not_closed_and_job_twice(self):
        self.env.company.survey_complaint_survey_id = self.survey
        self.env.company.survey_order_survey_id = False
        complaint = self.env["crm.relationship.complaint"].create(
            {"partner_id": self.other_customer.id, "subject": "Broken lid"}
        )
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertFalse(complaint.satisfaction_input_ids)
        self.assertFalse(complaint.satisfaction_invite_done)
        closed = self.env["crm.relationship.complaint.stage"].search(
            [("state", "=", "closed")], limit=1
        )
        complaint.write({"stage_id": closed.id, "resolution_type": "apology"})
        for __ in range(2):
            self.env["res.partner"]._cron_send_satisfaction_surveys()
            # no contact on the complaint: the customer itself is invited, once
            self.assertEqual(
                complaint.satisfaction_input_ids.partner_id, self.other_customer
            )
            self.assertEqual(len(complaint.satisfaction_input_ids), 1)
        self.assertTrue(complaint.satisfaction_invite_done)

    # ------------------------------------------------------------------
    # periodic relationship survey
    # ------------------------------------------------------------------
    def _stage(self, phase):
        return self.env["crm.relationship.stage"]._stage_for_phase(phase)

    def test_periodic_survey_of_stable_customers(self):
        company = self.env.company
        company.write(
            {
                "survey_order_survey_id": False,
                "survey_periodic_survey_id": self.survey.id,
                "survey_periodic_days": 365,
            }
        )
        Partner = self.env["res.partner"]
        # customers that cannot be invited come first by id: with batches of
        # one they must not keep the invitable customer waiting
        no_email = Partner.create({"name": "No Mail Ltd", "is_company": True})
        blacklisted = Partner.create(
            {"name": "Blocked Ltd", "is_company": True, "email": "blocked@example.com"}
        )
        self.env["mail.blacklist"].sudo()._add(blacklisted.email)
        stable = self.other_customer
        stable_stage = self._stage("stability")
        (no_email | blacklisted | stable).relationship_stage_id = stable_stage
        self.customer.relationship_stage_id = self._stage("formation")
        answers = self.env["survey.user_input"]
        sent = Partner._cron_send_satisfaction_surveys(batch_size=1)
        invite = answers.search([("partner_id", "=", stable.id)])
        self.assertEqual(len(invite), 1)
        self.assertIn(invite, sent)
        self.assertEqual(invite.survey_id, self.survey)
        self.assertFalse(invite.sale_order_id)
        self.assertTrue(stable.survey_last_invite_date)
        self.assertFalse(
            answers.search(
                [
                    (
                        "relationship_partner_id",
                        "in",
                        (no_email | blacklisted | self.customer).ids,
                    )
                ]
            )
        )
        # the second run of the day invites nobody again
        sent = Partner._cron_send_satisfaction_surveys(batch_size=1)
        self.assertFalse(sent.filtered(lambda ui: ui.partner_id == stable))
        self.assertEqual(len(answers.search([("partner_id", "=", stable.id)])), 1)
        # a year later, the customer is surveyed again
        stable.survey_last_invite_date = self.days_ago(366)
        Partner._cron_send_satisfaction_surveys()
        self.assertEqual(len(answers.search([("partner_id", "=", stable.id)])), 2)
        # opting out stops it
        stable.survey_last_invite_date = self.days_ago(366)
        stable.survey_opt_out = True
        Partner._cron_send_satisfaction_surveys()
        self.assertEqual(len(answers.search([("partner_id", "=", stable.id)])), 2)

    # ------------------------------------------------------------------
    # throttling, opt-out, blacklist
    # ------------------------------------------------------------------
    def test_throttle_window(self):
        self.customer.survey_last_invite_date = self.days_ago(29)
        throttled = self._order()
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertFalse(self._invites(throttled))
        # handled: the throttled order is not invited later either
        self.assertTrue(throttled.satisfaction_invite_done)
        self.customer.survey_last_invite_date = self.days_ago(31)
        due = self._order()
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertEqual(len(self._invites(due)), 1)
        self.assertFalse(self._invites(throttled))

    def test_contact_opt_out(self):
        self.contact.survey_opt_out = True
        order = self._order()
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertFalse(self._invites(order))
        with self.assertRaisesRegex(UserError, "does not want satisfaction surveys"):
            order.action_send_satisfaction_survey()

    def test_blacklist_blocks_manual_invitation(self):
        self.env["mail.blacklist"].sudo()._add(self.contact.email)
        order = self._order()
        with self.assertRaisesRegex(UserError, "blacklist"):
            order.action_send_satisfaction_survey()
        self.env["res.partner"]._cron_send_satisfaction_surveys()
        self.assertFalse(self._invites(order))
        self.assertFalse(
            self.env["mail.mail"].search([("recipient_ids", "in", self.contact.ids)])
        )

    def test_manual_invitation_from_complaint(self):
        complaint = self.env["crm.relationship.complaint"].create(
            {
                "partner_id": self.customer.id,
                "contact_id": self.contact.id,
                "subject": "Wrong colour",
            }
        )
        # not before the complaint is resolved: the survey asks about that
        with self.assertRaisesRegex(UserError, "not resolved yet"):
            complaint.action_send_satisfaction_survey()
        self.assertFalse(complaint.satisfaction_input_ids)
        complaint.action_resolve()
        action = complaint.action_send_satisfaction_survey()
        self.assertEqual(action["params"]["type"], "success")
        invite = complaint.satisfaction_input_ids
        self.assertEqual(invite.partner_id, self.contact)
        self.assertEqual(
            invite.survey_id,
            self.env.ref("crm_relationship_survey.survey_complaint_resolution"),
        )

    # ------------------------------------------------------------------
    # the job
    # ------------------------------------------------------------------
    def test_job_twice_and_progress(self):
        """Orders, complaints and stable customers in one run, reported in
        batches; a second run sends nothing more."""
        company = self.env.company
        company.write(
            {
                "survey_complaint_survey_id": self.survey.id,
                "survey_periodic_survey_id": self.survey.id,
            }
        )
        stable = self.env["res.partner"].create(
            {
                "name": "Stable Ltd",
                "is_company": True,
                "email": "stable@example.com",
                "relationship_stage_id": self._stage("stability").id,
            }
        )
        order = self._order()
        closed = self.env["crm.relationship.complaint.stage"].search(
            [("state", "=", "closed")], limit=1
        )
        complaint = self.env["crm.relationship.complaint"].create(
            {"partner_id": self.other_customer.id, "subject": "Late"}
        )
        complaint.write({"stage_id": closed.id, "resolution_type": "apology"})
        cron = self.env.ref("crm_relationship_survey.ir_cron_satisfaction_invitations")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        Partner = self.env["res.partner"].with_context(ir_cron_progress_id=progress.id)
        sent = Partner._cron_send_satisfaction_surveys(batch_size=1)
        ours = (
            self._invites(order)
            | complaint.satisfaction_input_ids
            | sent.filtered(lambda ui: ui.partner_id == stable)
        )
        self.assertEqual(len(ours), 3)
        self.assertEqual(ours & sent, ours)
        self.assertGreaterEqual(progress.done, 3)
        self.assertEqual(progress.remaining, 0)
        mails = self.env["mail.mail"].search_count(
            [("model", "=", "survey.user_input")]
        )
        answers = self.env["survey.user_input"].search_count([])
        self.assertFalse(Partner._cron_send_satisfaction_surveys(batch_size=1))
        self.assertEqual(self.env["survey.user_input"].search_count([]), answers)
        self.assertEqual(
            self.env["mail.mail"].search_count([("model", "=", "survey.user_input")]),
            mails,
        )
