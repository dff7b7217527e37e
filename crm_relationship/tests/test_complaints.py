from datetime import datetime

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from .common import RelationshipCase

EMAIL = """Return-Path: <{email_from}>
To: complaints@example.com
From: {email_from}
Subject: {subject}
Message-ID: {msg_id}
{extra}MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

{body}
"""


class ComplaintCase(RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Complaint = cls.env["crm.relationship.complaint"]
        # Monday-Friday 8-12 and 13-17, in UTC so that the dates read plainly
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Support hours",
                "tz": "UTC",
                "attendance_ids": [
                    (5, 0, 0),
                    *[
                        (
                            0,
                            0,
                            {
                                "name": f"{day} {period}",
                                "dayofweek": str(day),
                                "hour_from": start,
                                "hour_to": end,
                                "day_period": period,
                            },
                        )
                        for day in range(5)
                        for period, start, end in (
                            ("morning", 8, 12),
                            ("afternoon", 13, 17),
                        )
                    ],
                ],
            }
        )
        cls.env["crm.relationship.sla.policy"].search([]).active = False
        cls.escalation_manager = new_test_user(
            cls.env,
            login="rel_complaint_manager",
            groups="sales_team.group_sale_manager",
            name="Complaint Manager",
        )
        cls.policy = cls.env["crm.relationship.sla.policy"].create(
            {
                "name": "Test standard",
                "calendar_id": cls.calendar.id,
                "acknowledge_hours": 8,
                "resolve_hours": 16,
                "escalate_user_id": cls.escalation_manager.id,
            }
        )
        cls.stages = {
            stage.state: stage
            for stage in cls.env["crm.relationship.complaint.stage"].search([])
        }
        cls.customer = cls._customer("Lotus Home Goods")

    def _complaint(self, received="2026-11-20 17:00:00", **vals):
        return self.Complaint.create(
            dict(
                {
                    "partner_id": self.customer.id,
                    "subject": "Broken teapot",
                    "date_received": received,
                },
                **vals,
            )
        )


class TestComplaintWorkflow(ComplaintCase):
    def test_reference_owner_and_follower(self):
        complaint = self._complaint()
        self.assertRegex(complaint.name, r"^CMP/\d{4}/\d{5}$")
        self.assertEqual(complaint.stage_id, self.stages["new"])
        self.assertEqual(complaint.user_id, self.salesman, "the relationship owner")
        self.assertIn(self.customer, complaint.message_partner_ids)
        other = self._complaint()
        self.assertNotEqual(other.name, complaint.name)

    def test_owner_falls_back_to_category_then_to_the_employee(self):
        ownerless = self._customer("No owner", user_id=False)
        delivery = self.env.ref("crm_relationship.complaint_category_delivery")
        delivery.user_id = self.escalation_manager
        by_category = self.Complaint.sudo().create(
            {"partner_id": ownerless.id, "category_id": delivery.id}
        )
        self.assertEqual(by_category.user_id, self.escalation_manager)
        logged = self.Complaint.with_user(self.salesman).create(
            {"partner_id": ownerless.id}
        )
        self.assertEqual(logged.user_id, self.salesman)

    def test_contact_is_moved_to_its_company(self):
        contact = self.env["res.partner"].create(
            {"name": "Mei Lin", "parent_id": self.customer.id}
        )
        complaint = self.Complaint.create({"partner_id": contact.id})
        self.assertEqual(complaint.partner_id, self.customer)
        self.assertEqual(complaint.contact_id, contact)

    def test_deadlines_skip_the_weekend(self):
        # Friday 17:00, 8 working hours to acknowledge, 16 to resolve
        complaint = self._complaint(received="2026-11-20 17:00:00")
        self.assertEqual(complaint.sla_policy_id, self.policy)
        self.assertEqual(complaint.acknowledge_deadline, datetime(2026, 11, 23, 17, 0))
        self.assertEqual(complaint.resolve_deadline, datetime(2026, 11, 24, 17, 0))
        # at risk after 80 % of the working time: 6.4 h = Monday 15:24
        self.assertEqual(
            complaint.acknowledge_risk_date, datetime(2026, 11, 23, 15, 24)
        )

    def test_most_specific_policy_applies(self):
        quality = self.env.ref("crm_relationship.complaint_category_quality")
        critical = self.env["crm.relationship.sla.policy"].create(
            {
                "name": "Critical",
                "severity": "critical",
                "calendar_id": self.calendar.id,
                "acknowledge_hours": 1,
                "resolve_hours": 4,
            }
        )
        critical_quality = critical.copy(
            {"name": "Critical quality", "category_id": quality.id}
        )
        self.assertEqual(self._complaint().sla_policy_id, self.policy)
        self.assertEqual(self._complaint(severity="critical").sla_policy_id, critical)
        self.assertEqual(
            self._complaint(severity="critical", category_id=quality.id).sla_policy_id,
            critical_quality,
        )

    def test_policy_hours_are_validated(self):
        with self.assertRaises(ValidationError):
            self.policy.resolve_hours = 4  # fewer than to acknowledge
        with self.assertRaises(ValidationError):
            self.policy.acknowledge_hours = 0

    def test_sla_status_moves_to_at_risk_then_breached(self):
        complaint = self._complaint()
        with freeze_time("2026-11-23 09:00:00"):
            complaint._compute_sla_status()
            self.assertEqual(complaint.sla_status, "on_track")
        with freeze_time("2026-11-23 16:00:00"):
            self.Complaint._cron_check_sla()
            self.assertEqual(complaint.sla_status, "at_risk")
            self.assertTrue(complaint.acknowledge_warned)
            self.assertFalse(complaint.escalated)
        with freeze_time("2026-11-23 17:30:00"):
            self.Complaint._cron_check_sla()
            self.assertEqual(complaint.sla_status, "breached")
            self.assertTrue(complaint.escalated)

    def test_escalation_happens_exactly_once(self):
        complaint = self._complaint()
        # the job's count covers every company: other open complaints (demo
        # data) already had their warnings and escalations
        (self.Complaint.search([]) - complaint).write(
            dict.fromkeys(
                (
                    "acknowledge_warned",
                    "acknowledge_escalated",
                    "resolve_warned",
                    "resolve_escalated",
                ),
                True,
            )
        )
        with freeze_time("2026-11-24 10:00:00"):
            self.assertEqual(self.Complaint._cron_check_sla(), 1)
            self.assertEqual(self.Complaint._cron_check_sla(), 0)
            self.Complaint._cron_check_sla()
        activities = complaint.activity_ids.filtered(
            lambda a: a.user_id == self.escalation_manager
        )
        self.assertEqual(len(activities), 1)
        self.assertIn(complaint.name, activities.summary)
        breaches = complaint.message_ids.filtered(
            lambda m: "breached" in (m.body or "")
        )
        self.assertEqual(len(breaches), 1)
        # acknowledging late then missing the resolution is a second breach
        with freeze_time("2026-11-24 11:00:00"):
            complaint.action_acknowledge()
        with freeze_time("2026-11-26 10:00:00"):
            self.Complaint._cron_check_sla()
            self.Complaint._cron_check_sla()
        self.assertTrue(complaint.resolve_escalated)
        self.assertEqual(
            len(complaint.message_ids.filtered(lambda m: "breached" in (m.body or ""))),
            2,
        )

    def test_met_and_breached_after_resolution(self):
        on_time = self._complaint()
        with freeze_time("2026-11-23 09:00:00"):
            on_time.action_acknowledge()
        with freeze_time("2026-11-23 10:00:00"):
            on_time.write({"resolution_type": "replacement"})
            on_time.action_resolve()
        self.assertEqual(on_time.sla_status, "met")
        self.assertEqual(on_time.sla_compliance, 100.0)
        self.assertAlmostEqual(on_time.time_to_acknowledge, 1.0)
        self.assertAlmostEqual(on_time.time_to_resolve, 2.0)
        late = self._complaint()
        with freeze_time("2026-11-25 09:00:00"):
            late.action_resolve()
        self.assertEqual(late.sla_status, "breached")
        self.assertEqual(late.sla_compliance, 0.0)

    def test_stage_dates_and_close_needs_a_resolution(self):
        complaint = self._complaint()
        complaint.write({"stage_id": self.stages["in_progress"].id})
        self.assertTrue(complaint.date_acknowledged)
        complaint.action_resolve()
        self.assertTrue(complaint.date_resolved)
        with self.assertRaisesRegex(UserError, "resolution type"):
            complaint.action_close()
        self.assertEqual(complaint.state, "resolved")
        self.assertFalse(complaint.date_closed)
        complaint.write({"resolution_type": "refund", "compensation_amount": 25.0})
        complaint.action_close()
        self.assertEqual(complaint.state, "closed")
        self.assertTrue(complaint.date_closed)

    def test_reopen_is_possible_and_tracked(self):
        complaint = self._complaint(resolution_type="apology")
        complaint.action_resolve()
        complaint.action_close()
        self.env.flush_all()
        self.env.cr.precommit.run()
        complaint.action_reopen()
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.assertEqual(complaint.state, "in_progress")
        self.assertFalse(complaint.date_closed)
        self.assertFalse(complaint.date_resolved)
        self.assertEqual(complaint.reopen_count, 1)
        self.assertEqual(complaint.customer_acceptance, "pending")
        tracked = complaint.message_ids.tracking_value_ids.filtered(
            lambda v: v.field_id.name == "stage_id"
        )
        self.assertIn("Closed", tracked.mapped("old_value_char"))
        self.assertIn("In Progress", tracked.mapped("new_value_char"))

    def test_customer_answers_the_resolution_once(self):
        complaint = self._complaint(resolution_type="replacement")
        with self.assertRaisesRegex(UserError, "no resolution"):
            complaint._portal_accept_resolution(True)
        complaint.action_resolve()
        complaint._portal_accept_resolution(False)
        self.assertEqual(complaint.customer_acceptance, "no")
        with self.assertRaisesRegex(UserError, "already answered"):
            complaint._portal_accept_resolution(True)
        self.assertEqual(complaint.customer_acceptance, "no")

    def test_dispute_path(self):
        complaint = self._complaint()
        path = []
        for _step in range(4):
            complaint.action_escalate_dispute()
            path.append(complaint.dispute_level)
        self.assertEqual(
            path, ["negotiation", "mediation", "arbitration", "litigation"]
        )
        with self.assertRaisesRegex(UserError, "litigation"):
            complaint.action_escalate_dispute()

    def test_order_and_line_must_belong_to_the_customer(self):
        order = self._order(self.customer)
        other = self._customer("Harbour Tea Traders")
        other_order = self._order(other)
        complaint = self._complaint(
            sale_order_id=order.id, sale_order_line_id=order.order_line.id
        )
        self.assertEqual(complaint.product_id, self.product)
        # Odoo's assertRaises rolls the failed write back (savepoint)
        with self.assertRaises(ValidationError) as caught:
            complaint.sale_order_id = other_order
        self.assertIn("does not belong", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            complaint.sale_order_line_id = other_order.order_line
        self.assertIn("order line", str(caught.exception))
        self.assertEqual(complaint.sale_order_id, order)

    def test_description_is_sanitized(self):
        complaint = self._complaint(
            description="<p>Cracked</p><script>alert(1)</script>"
            '<img src="x" onerror="alert(1)">'
        )
        self.assertIn("Cracked", complaint.description)
        self.assertNotIn("<script", complaint.description)
        self.assertNotIn("onerror", complaint.description)

    def test_partner_and_order_counters(self):
        order = self._order(self.customer)
        self._order(self.customer)
        self._complaint(sale_order_id=order.id, received=fields.Datetime.now())
        # older than 12 months: counted, but not in the rate
        closed = self._complaint(
            resolution_type="apology", received="2025-01-06 09:00:00"
        )
        closed.action_resolve()
        closed.action_close()
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.complaint_count, 2)
        self.assertEqual(self.customer.complaint_open_count, 1)
        self.assertAlmostEqual(self.customer.complaint_rate, 0.5)
        self.assertEqual(order.complaint_count, 1)
        action = order.action_log_complaint()
        self.assertEqual(action["context"]["default_sale_order_id"], order.id)
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)


class TestComplaintMail(ComplaintCase):
    # (security of the gateway: test_rpc_access_complaints.TestComplaintMailGateway)
    def test_email_creates_a_complaint_and_replies_land_in_the_chatter(self):
        self.customer.email = "buyer@lotus.example.com"
        raw = EMAIL.format(
            email_from="Lotus Buyer <buyer@lotus.example.com>",
            subject="Parcel arrived damaged",
            msg_id="<first-1@lotus.example.com>",
            extra="",
            body="The box was crushed and two cups are broken.",
        )
        thread_id = self.env["mail.thread"].message_process(
            "crm.relationship.complaint", raw
        )
        complaint = self.Complaint.browse(thread_id)
        # an address proves nothing: the customer is proposed, not filed on
        self.assertFalse(complaint.partner_id)
        self.assertEqual(complaint.sender_partner_id, self.customer)
        self.assertRegex(complaint.name, r"^CMP/\d{4}/\d{5}$")
        self.assertEqual(complaint.channel, "email")
        self.assertEqual(complaint.subject, "Parcel arrived damaged")
        self.assertIn("two cups are broken", complaint.description)
        reply = EMAIL.format(
            email_from="Lotus Buyer <buyer@lotus.example.com>",
            subject="Re: Parcel arrived damaged",
            msg_id="<reply-2@lotus.example.com>",
            extra="In-Reply-To: <first-1@lotus.example.com>\n",
            body="Here are the photos.",
        )
        self.assertEqual(
            self.env["mail.thread"].message_process(False, reply), complaint.id
        )
        self.assertEqual(self.Complaint.search_count([("id", ">", complaint.id)]), 0)
        self.assertIn("Here are the photos", complaint.message_ids[0].body)

    def test_email_from_a_stranger_waits_to_be_identified(self):
        raw = EMAIL.format(
            email_from="New Person <new.person@example.org>",
            subject="Never received my order",
            msg_id="<first-3@example.org>",
            extra="",
            body="Order placed two weeks ago.",
        )
        complaint = self.Complaint.browse(
            self.env["mail.thread"].message_process("crm.relationship.complaint", raw)
        )
        # no contact is created for whoever writes; staff identify the customer
        self.assertFalse(complaint.partner_id)
        self.assertFalse(complaint.sender_partner_id)
        self.assertIn("new.person@example.org", complaint.email_from)
        self.assertFalse(
            self.env["res.partner"].search([("email", "ilike", "new.person@")])
        )


class TestComplaintAccess(ComplaintCase):
    def test_portal_users_read_only_their_own(self):
        own = self._complaint()
        other = self._complaint(partner_id=self._customer("Other buyer").id)
        portal = new_test_user(
            self.env, login="rel_portal_buyer", groups="base.group_portal"
        )
        portal.partner_id.parent_id = self.customer
        as_portal = self.Complaint.with_user(portal)
        self.assertEqual(as_portal.search([]), own)
        with self.assertRaises(AccessError):
            other.with_user(portal).read(["subject"])
        with self.assertRaises(AccessError):
            own.with_user(portal).write({"subject": "changed"})
        with self.assertRaises(AccessError):
            as_portal.create({"partner_id": self.customer.id})

    def test_other_company_complaints_are_invisible(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        user_b = new_test_user(
            self.env,
            login="rel_user_b",
            groups="sales_team.group_sale_salesman",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        complaint_a = self._complaint()
        self.assertFalse(
            self.Complaint.with_user(user_b).search([("id", "=", complaint_a.id)])
        )
        with self.assertRaises(AccessError):
            complaint_a.with_user(user_b).read(["subject"])

    def test_salesman_handles_but_cannot_delete_or_configure(self):
        complaint = self._complaint().with_user(self.salesman)
        complaint.action_acknowledge()
        self.assertEqual(complaint.state, "acknowledged")
        with self.assertRaises(AccessError):
            complaint.unlink()
        with self.assertRaises(AccessError):
            self.policy.with_user(self.salesman).write({"resolve_hours": 80})

    def test_stage_in_use_cannot_be_deleted(self):
        self._complaint()
        with self.assertRaisesRegex(UserError, "archive the stage"):
            self.stages["new"].unlink()
