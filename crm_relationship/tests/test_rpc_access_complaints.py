"""The RPC surface of complaints: every call an attacker can make, refused.

Every public method and every field of a complaint is reachable through
``/web/dataset/call_kw`` and XML-RPC by whoever may read the record. Each test
makes the attacker's call as that user (``with_user`` or HTTP), checks the
refusal and re-reads the complaint as administrator.

Users (company of the test, ``ComplaintCase``)::

    salesman          "own documents" salesperson, owner of ``customer``
    colleague         "own documents" salesperson, owner of ``other_customer``
    salesman_all      "all documents" salesperson
    handler           relationship user who is no salesperson (complaint desk)
    manager           relationship administrator
    plain_employee    internal user, no relationship group
    portal_a          portal user, a person of ``customer``
    portal_b          portal user, a person of ``other_customer``
"""

import time
from unittest.mock import patch
from urllib.parse import urlencode

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.crm_relationship.models import (
    crm_relationship_complaint as complaint_module,
)
from odoo.addons.crm_relationship.models.crm_relationship_complaint import (
    MANAGED_FIELDS,
    SYSTEM_FIELDS,
)

from .test_complaint_portal import DENIED_LOGGERS, ComplaintPortalCase
from .test_complaints import EMAIL, ComplaintCase

GATEWAY_LOGGERS = (
    "odoo.addons.mail.models.mail_thread",
    "odoo.addons.mail.models.mail_alias",
)
INTERNAL_FIELDS = (
    "root_cause",
    "corrective_action",
    "preventive_action",
    "dispute_level",
    "compensation_amount",
    "escalated",
    "sla_status",
    "sla_compliance",
    "sla_policy_id",
    "acknowledge_deadline",
    "resolve_deadline",
    "acknowledge_risk_date",
    "resolve_risk_date",
    "acknowledge_warned",
    "acknowledge_escalated",
    "resolve_warned",
    "resolve_escalated",
    "time_to_acknowledge",
    "time_to_resolve",
    "severity",
    "priority_rank",
    "reopen_count",
    "sender_partner_id",
    "color",
)


class ComplaintRpcCase(ComplaintCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.colleague = new_test_user(
            cls.env,
            login="rpc_cmp_colleague",
            groups="sales_team.group_sale_salesman",
            name="Colleague",
        )
        cls.salesman_all = new_test_user(
            cls.env,
            login="rpc_cmp_salesman_all",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        cls.handler = new_test_user(
            cls.env,
            login="rpc_cmp_handler",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="rpc_cmp_manager",
            groups="crm_relationship.crm_relationship_group_manager",
        )
        cls.plain_employee = new_test_user(
            cls.env, login="rpc_cmp_employee", groups="base.group_user"
        )
        cls.other_customer = cls._customer(
            "Harbour Tea Traders", user_id=cls.colleague.id
        )
        cls.portal_a = new_test_user(
            cls.env, login="rpc_cmp_portal_a", groups="base.group_portal"
        )
        cls.portal_a.partner_id.write(
            {"parent_id": cls.customer.id, "email": "mei@lotus.example.com"}
        )
        cls.portal_b = new_test_user(
            cls.env, login="rpc_cmp_portal_b", groups="base.group_portal"
        )
        cls.portal_b.partner_id.parent_id = cls.other_customer

    def _snapshot(self, complaint, names):
        """The values of ``names``, read as administrator."""
        complaint.invalidate_recordset()
        return complaint.sudo().read(list(names))[0]

    def _tracked(self, complaint, name):
        self.env.flush_all()
        self.env.cr.precommit.run()
        return complaint.message_ids.tracking_value_ids.filtered(
            lambda v: v.field_id.name == name
        )


class TestComplaintSalespersonScope(ComplaintRpcCase):
    """Hole 3 (T23): "own documents" salespeople see their customers' only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mine = cls.Complaint.create(
            {"partner_id": cls.customer.id, "subject": "Customer of mine"}
        )
        cls.owned = cls.Complaint.create(
            {
                "partner_id": cls.other_customer.id,
                "user_id": cls.salesman.id,
                "subject": "Owned",
            }
        )
        cls.followed = cls.Complaint.create(
            {"partner_id": cls.other_customer.id, "subject": "Followed"}
        )
        cls.followed.message_subscribe(partner_ids=cls.salesman.partner_id.ids)
        handed_over = cls._customer("Handed over", user_id=cls.colleague.id)
        handed_over.relationship_owner_id = cls.salesman
        cls.relationship_owner = cls.Complaint.create(
            {
                "partner_id": handed_over.id,
                "user_id": cls.colleague.id,
                "subject": "Relationship owner",
            }
        )
        order = cls._order(cls.other_customer, user_id=cls.salesman.id)
        cls.on_my_order = cls.Complaint.create(
            {
                "partner_id": cls.other_customer.id,
                "sale_order_id": order.id,
                "subject": "My order",
            }
        )
        cls.foreign = cls.Complaint.create(
            {"partner_id": cls.other_customer.id, "subject": "A colleague's"}
        )
        cls.unidentified = cls.Complaint.create(
            {"channel": "email", "subject": "Who sent this?"}
        )
        cls.everything = (
            cls.mine
            | cls.owned
            | cls.followed
            | cls.relationship_owner
            | cls.on_my_order
            | cls.foreign
            | cls.unidentified
        )

    def _visible(self, user):
        return self.Complaint.with_user(user).search(
            [("id", "in", self.everything.ids)]
        )

    def test_own_documents_salesman_lists_only_their_complaints(self):
        self.assertEqual(self.foreign.user_id, self.colleague)
        self.assertEqual(
            self._visible(self.salesman),
            self.mine
            | self.owned
            | self.followed
            | self.relationship_owner
            | self.on_my_order,
        )
        self.assertEqual(
            self.Complaint.with_user(self.salesman).search_count(
                [("id", "=", self.foreign.id)]
            ),
            0,
        )

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_own_documents_salesman_cannot_read_or_write_a_colleagues(self):
        before = self._snapshot(self.foreign, ["subject", "user_id", "stage_id"])
        as_salesman = self.foreign.with_user(self.salesman)
        with self.assertRaises(AccessError):
            as_salesman.read(["subject"])
        with self.assertRaises(AccessError):
            as_salesman.write({"subject": "Taken over", "user_id": self.salesman.id})
        with self.assertRaises(AccessError):
            as_salesman.action_acknowledge()
        with self.assertRaises(AccessError):
            self.unidentified.with_user(self.salesman).read(["subject"])
        self.assertEqual(
            self._snapshot(self.foreign, ["subject", "user_id", "stage_id"]), before
        )

    def test_all_documents_handlers_and_managers_see_all(self):
        for user in (self.salesman_all, self.handler, self.manager):
            self.assertEqual(self._visible(user), self.everything, user.login)

    def test_own_documents_salesman_logs_a_complaint_for_a_colleagues_customer(self):
        logged = self.Complaint.with_user(self.salesman).create(
            {"partner_id": self.other_customer.id, "subject": "Phoned in"}
        )
        self.assertEqual(logged.user_id, self.colleague)
        self.assertEqual(
            self.Complaint.with_user(self.salesman).search([("id", "=", logged.id)]),
            logged,
        )
        logged.with_user(self.salesman).write({"description": "<p>Details</p>"})

    def test_other_roles(self):
        with self.assertRaises(AccessError):
            self.Complaint.with_user(self.plain_employee).search([])
        self.assertEqual(
            self.Complaint.with_user(self.portal_a).search(
                [("id", "in", self.everything.ids)]
            ),
            self.mine,
        )


class TestComplaintServiceLevelForgery(ComplaintRpcCase):
    """Hole 4 (T22, T24): SLA figures and workflow dates are the system's."""

    FORGED = {
        "name": "CMP/FORGED",
        "priority_rank": 9,
        "acknowledge_deadline": "2030-01-01 00:00:00",
        "resolve_deadline": "2030-01-01 00:00:00",
        "acknowledge_risk_date": "2030-01-01 00:00:00",
        "resolve_risk_date": "2030-01-01 00:00:00",
        "sla_status": "met",
        "sla_compliance": 100.0,
        "time_to_acknowledge": 0.5,
        "time_to_resolve": 1.0,
        "escalated": False,
        "date_received": "2030-01-01 00:00:00",
        "date_acknowledged": "2026-11-20 17:05:00",
        "date_resolved": "2026-11-20 17:10:00",
        "date_closed": "2026-11-20 17:15:00",
        "acknowledge_warned": True,
        "acknowledge_escalated": False,
        "resolve_warned": True,
        "resolve_escalated": False,
        "reopen_count": 0,
        "customer_acceptance": "yes",
    }

    def setUp(self):
        super().setUp()
        self.complaint = self._complaint()
        # the creation is logged; what follows is tracked
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.other_policy = self.policy.copy({"name": "Generous"})
        self.forged = dict(self.FORGED, sla_policy_id=self.other_policy.id)

    def test_every_protected_field_is_forged_in_this_test(self):
        self.assertEqual(set(self.forged), SYSTEM_FIELDS | MANAGED_FIELDS)

    @mute_logger("odoo.models")
    def test_salesman_cannot_write_service_level_figures(self):
        self.complaint.write({"acknowledge_escalated": True})  # as the job would
        names = sorted(self.forged)
        before = self._snapshot(self.complaint, names)
        as_salesman = self.complaint.with_user(self.salesman)
        self.assertTrue(as_salesman.has_access("write"))
        for name, value in self.forged.items():
            for context in (
                {},
                {
                    "tracking_disable": True,
                    "mail_notrack": True,
                    "install_mode": True,
                    "active_test": False,
                },
            ):
                with self.subTest(field=name, context=context):
                    with self.assertRaises(AccessError):
                        as_salesman.with_context(**context).write({name: value})
        # the complaint desk neither
        for name, value in self.forged.items():
            with self.subTest(field=name, user="handler"):
                with self.assertRaises(AccessError):
                    self.complaint.with_user(self.handler).write({name: value})
        self.assertEqual(self._snapshot(self.complaint, names), before)

    def test_salesman_cannot_create_with_service_level_figures(self):
        Complaint = self.Complaint.with_user(self.salesman)
        base = {"partner_id": self.customer.id, "subject": "Forged"}
        count = self.Complaint.search_count([])
        for name, value in self.forged.items():
            if name in ("name", "date_received") or not value:
                continue
            with self.subTest(field=name):
                with self.assertRaises(AccessError):
                    Complaint.create(dict(base, **{name: value}))
        with self.assertRaisesRegex(UserError, "in the future"):
            Complaint.create(dict(base, date_received="2099-01-01 00:00:00"))
        self.assertEqual(self.Complaint.search_count([]), count)
        # the reference comes from the sequence; a past reception is fine
        created = Complaint.create(
            dict(base, name="CMP/2020/00001", date_received="2026-01-05 09:00:00")
        )
        self.assertRegex(created.name, r"^CMP/\d{4}/\d{5}$")
        self.assertNotEqual(created.name, "CMP/2020/00001")
        self.assertEqual(
            created.date_received, fields.Datetime.to_datetime("2026-01-05 09:00:00")
        )
        # what a form sends when creating (empty values) is accepted
        Complaint.create(
            dict(
                base, date_acknowledged=False, acknowledge_warned=False, reopen_count=0
            )
        )

    def test_administrator_corrects_dates_and_policy_tracked(self):
        complaint = self.complaint.with_user(self.manager)
        complaint.write(
            {
                "sla_policy_id": self.other_policy.id,
                "date_received": "2026-11-19 09:00:00",
                "date_acknowledged": "2026-11-19 10:00:00",
            }
        )
        self.assertEqual(self.complaint.sla_policy_id, self.other_policy)
        for name in (
            "sla_policy_id",
            "date_received",
            "date_acknowledged",
            "acknowledge_deadline",
            "resolve_deadline",
        ):
            self.assertTrue(self._tracked(self.complaint, name), name)
        # computed figures follow their inputs; nobody writes them
        with self.assertRaises(AccessError):
            complaint.write({"resolve_deadline": "2030-01-01 00:00:00"})
        self.complaint.sudo().write({"resolve_warned": True})  # the system, sudo

    def test_stage_changes_are_tracked_whatever_the_context(self):
        complaint = self.complaint.with_user(self.salesman).with_context(
            tracking_disable=True, mail_notrack=True
        )
        complaint.action_acknowledge()
        self.assertEqual(self.complaint.state, "acknowledged")
        self.assertTrue(self._tracked(self.complaint, "stage_id"))
        self.assertTrue(self._tracked(self.complaint, "date_acknowledged"))

    def test_the_form_still_works_for_a_salesman(self):
        critical = self.policy.copy({"name": "Critical", "severity": "critical"})
        with Form(self.Complaint.with_user(self.salesman)) as form:
            form.partner_id = self.customer
            form.subject = "Logged from the form"
        created = form.record
        self.assertEqual(created.sudo().sla_policy_id, self.policy)
        with Form(created) as form:
            form.severity = "critical"
        self.assertEqual(created.sudo().sla_policy_id, critical)
        with Form(self.complaint.with_user(self.manager)) as form:
            form.sla_policy_id = self.other_policy
        self.assertEqual(self.complaint.sla_policy_id, self.other_policy)


class TestComplaintInternalFields(ComplaintRpcCase):
    """Hole 6 (complaint part): what is internal is for employees only."""

    def test_portal_user_reads_only_the_customer_fields(self):
        complaint = self._complaint(
            root_cause="Supplier batch 42 was never checked",
            compensation_amount=30.0,
            dispute_level="mediation",
        )
        as_portal = complaint.with_user(self.portal_a)
        for name in INTERNAL_FIELDS:
            with self.subTest(field=name):
                with self.assertRaises(AccessError):
                    as_portal.read([name])
        values = as_portal.read(["name", "subject", "state", "date_received"])[0]
        self.assertEqual(values["subject"], "Broken teapot")
        # a search with the model's default order works for the portal
        found = self.Complaint.with_user(self.portal_a).search_read(
            [], ["name", "subject"]
        )
        self.assertEqual([row["id"] for row in found], complaint.ids)
        described = self.Complaint.with_user(self.portal_a).fields_get()
        self.assertFalse(set(INTERNAL_FIELDS) & set(described))
        with self.assertRaises(AccessError):
            self.Complaint.with_user(self.portal_a).search(
                [("root_cause", "ilike", "batch")]
            )
        # employees still read them
        self.assertEqual(
            complaint.with_user(self.salesman).root_cause,
            "Supplier batch 42 was never checked",
        )


class TestComplaintPublicMethods(ComplaintRpcCase):
    """Hole 8 + T21: workflow methods check the caller's group and the state."""

    ACTIONS = (
        "action_acknowledge",
        "action_resolve",
        "action_close",
        "action_reopen",
        "action_escalate_dispute",
        "action_confirm_sender",
    )

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_portal_user_and_plain_employee_are_refused(self):
        complaint = self._complaint(resolution_type="apology")
        complaint.action_resolve()
        names = ["state", "dispute_level", "partner_id", "customer_acceptance"]
        before = self._snapshot(complaint, names)
        for user in (self.portal_a, self.plain_employee):
            for action in self.ACTIONS:
                with self.subTest(user=user.login, action=action):
                    with self.assertRaises(AccessError):
                        getattr(complaint.with_user(user), action)()
            with self.subTest(user=user.login, action="message_new"):
                with self.assertRaises(AccessError):
                    self.Complaint.with_user(user).message_new(
                        {"subject": "Forged", "email_from": "x@example.com"},
                        {"partner_id": self.customer.id},
                    )
        self.assertEqual(self._snapshot(complaint, names), before)

    def test_actions_check_the_state(self):
        complaint = self._complaint()
        as_salesman = complaint.with_user(self.salesman)
        with self.assertRaises(UserError):
            as_salesman.action_close()
        with self.assertRaises(UserError):
            as_salesman.action_reopen()
        as_salesman.action_acknowledge()
        with self.assertRaises(UserError):
            as_salesman.action_acknowledge()
        complaint.write({"resolution_type": "refund"})
        as_salesman.action_resolve()
        as_salesman.action_close()
        with self.assertRaises(UserError):
            as_salesman.action_escalate_dispute()
        self.assertEqual(complaint.dispute_level, "none")
        self.assertEqual(complaint.state, "closed")


class TestComplaintMailGateway(ComplaintRpcCase):
    """Hole 7 (T25): e-mail neither files onto an account nor names the complaint."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create(
            {"name": "complaints.example.com"}
        )
        cls.alias = cls.env.ref("crm_relationship.mail_alias_complaints")
        cls.alias.alias_domain_id = cls.alias_domain
        cls.to = "complaints@complaints.example.com"
        cls.customer.email = "buyer@lotus.example.com"
        cls.Partner = cls.env["res.partner"]

    def _mail(self, email_from, subject="Parcel arrived damaged", msg_id=None, **kw):
        raw = EMAIL.format(
            email_from=email_from,
            subject=subject,
            msg_id=msg_id or f"<{abs(hash((email_from, subject)))}@example.com>",
            extra=kw.get("extra", ""),
            body=kw.get("body", "The box was crushed."),
        ).replace("To: complaints@example.com", f"To: {self.to}")
        return self.env["mail.thread"].sudo().message_process(False, raw)

    def _new_complaints(self, before_id):
        return self.Complaint.search([("id", ">", before_id)])

    def _last_id(self):
        return self.Complaint.search([], order="id desc", limit=1).id or 0

    def test_default_is_known_contacts(self):
        # (on a database upgraded from 18.0.1.0.0, the migration sets it: the
        # alias is noupdate data)
        self.assertEqual(self.alias.alias_contact, "partners")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.relationship_complaint_alias_contact, "partners")

    @mute_logger(*GATEWAY_LOGGERS)
    def test_known_sender_is_proposed_not_filed(self):
        last = self._last_id()
        thread_id = self._mail(
            "Lotus Buyer <buyer@lotus.example.com>",
            subject="CMP/2026/00001 is still not solved",
        )
        complaint = self._new_complaints(last)
        self.assertEqual(complaint.ids, [thread_id])
        # the reference is the sequence's, the subject of the mail the subject
        self.assertRegex(complaint.name, r"^CMP/\d{4}/\d{5}$")
        self.assertNotEqual(complaint.name, "CMP/2026/00001")
        self.assertEqual(complaint.subject, "CMP/2026/00001 is still not solved")
        # not on the customer's account, nobody subscribed, no portal access
        self.assertFalse(complaint.partner_id)
        self.assertEqual(complaint.sender_partner_id, self.customer)
        self.assertNotIn(self.customer, complaint.message_partner_ids)
        self.assertEqual(complaint.channel, "email")
        self.assertFalse(
            self.Complaint.with_user(self.portal_a).search([("id", "=", complaint.id)])
        )
        with self.assertRaises(AccessError):
            complaint.with_user(self.portal_a).read(["subject"])
        # the complaint desk confirms; then it is the customer's
        complaint.with_user(self.handler).action_confirm_sender()
        self.assertEqual(complaint.partner_id, self.customer)
        self.assertIn(self.customer, complaint.message_partner_ids)
        self.assertEqual(complaint.user_id, self.salesman)
        self.assertEqual(
            self.Complaint.with_user(self.portal_a).search([("id", "=", complaint.id)]),
            complaint,
        )
        with self.assertRaises(UserError):
            complaint.with_user(self.handler).action_confirm_sender()

    @mute_logger(*GATEWAY_LOGGERS)
    def test_unknown_sender_is_bounced_by_known_contacts_only(self):
        self.env["res.config.settings"].create(
            {"relationship_complaint_alias_contact": "partners"}
        ).execute()
        last, partners = self._last_id(), self.Partner.search_count([])
        with patch.object(
            type(self.env["mail.thread"]),
            "_routing_create_bounce_email",
            autospec=True,
        ) as bounce:
            self._mail("Spoofer <someone@spoof.example.org>")
        self.assertTrue(bounce.called)
        self.assertFalse(self._new_complaints(last))
        self.assertEqual(self.Partner.search_count([]), partners)

    @mute_logger(*GATEWAY_LOGGERS)
    def test_everyone_accepts_unknown_senders_without_creating_contacts(self):
        settings = self.env["res.config.settings"].create(
            {"relationship_complaint_alias_contact": "everyone"}
        )
        settings.execute()
        self.assertEqual(self.alias.alias_contact, "everyone")
        last, partners = self._last_id(), self.Partner.search_count([])
        self._mail("Stranger <someone@spoof.example.org>")
        complaint = self._new_complaints(last)
        self.assertEqual(len(complaint), 1)
        self.assertFalse(complaint.partner_id)
        self.assertFalse(complaint.sender_partner_id)
        self.assertFalse(complaint.message_partner_ids)
        self.assertEqual(self.Partner.search_count([]), partners)
        # staff see it in "To Identify"; no portal user does
        self.assertIn(
            complaint,
            self.Complaint.with_user(self.handler).search([("partner_id", "=", False)]),
        )
        for portal in (self.portal_a, self.portal_b):
            self.assertFalse(
                self.Complaint.with_user(portal).search([("partner_id", "=", False)])
            )
        with self.assertRaises(UserError):
            complaint.with_user(self.handler).action_confirm_sender()
        # the desk identifies it by hand
        complaint.with_user(self.handler).partner_id = self.other_customer
        self.assertIn(self.other_customer, complaint.message_partner_ids)

    @mute_logger(*GATEWAY_LOGGERS)
    def test_followers_only_refuses_new_complaints_and_keeps_the_alias(self):
        self.alias.alias_contact = "followers"
        last = self._last_id()
        self._mail("Lotus Buyer <buyer@lotus.example.com>")
        self.assertFalse(self._new_complaints(last))
        self.assertEqual(self.alias.alias_status, "not_tested")

    @mute_logger(*GATEWAY_LOGGERS)
    def test_a_reply_does_not_subscribe_its_sender(self):
        complaint = self._complaint()
        first = complaint.message_post(
            body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        intruder = self.Partner.create(
            {"name": "Intruder", "email": "intruder@spoof.example.org"}
        )
        self._mail(
            "Intruder <intruder@spoof.example.org>",
            subject="Re: Broken teapot",
            msg_id="<reply-intruder@spoof.example.org>",
            extra=f"In-Reply-To: {first.message_id}\n",
            body="Send the refund to my account.",
        )
        reply = complaint.message_ids.filtered(
            lambda m: "refund to my account" in (m.body or "")
        )
        self.assertEqual(reply.author_id, intruder)
        self.assertNotIn(intruder, complaint.message_partner_ids)
        self.assertEqual(complaint.partner_id, self.customer)

    def test_only_emailed_complaints_may_wait_for_a_customer(self):
        with self.assertRaises(ValidationError):
            self.Complaint.create({"subject": "Phone call", "channel": "phone"})
        complaint = self.Complaint.create({"subject": "Mail", "channel": "email"})
        with self.assertRaises(ValidationError):
            complaint.channel = "phone"


class TestComplaintSlaJobFailure(ComplaintRpcCase):
    """Hole 12 (T12): a failing service-level job is reported, then resolved."""

    def test_failure_is_recorded_then_resolved(self):
        complaint = self._complaint(received="2026-11-20 17:00:00")
        Failure = self.env["crm.relationship.job.failure"]
        with freeze_time("2026-11-24 10:00:00"):
            with (
                patch.object(
                    type(self.Complaint),
                    "_sla_notify",
                    side_effect=RuntimeError("calendar service down"),
                ),
                mute_logger(
                    "odoo.addons.crm_relationship.models.crm_relationship_job_failure"
                ),
            ):
                self.assertIs(self.Complaint._cron_check_sla(), False)
            failure = Failure.search(
                [("job", "=", "crm_relationship.sla"), ("state", "=", "failed")]
            )
            self.assertEqual(len(failure), 1)
            self.assertEqual(failure.name, "Complaint service levels")
            self.assertIn("calendar service down", failure.error)
            todo = failure.activity_ids.filtered(lambda a: a.user_id == self.manager)
            self.assertEqual(len(todo), 1)
            self.assertFalse(complaint.acknowledge_escalated)
            # the next run succeeds: the complaint is escalated, the failure closed
            self.assertGreaterEqual(self.Complaint._cron_check_sla(), 1)
        self.assertTrue(complaint.acknowledge_escalated)
        self.assertEqual(failure.state, "resolved")
        self.assertFalse(failure.activity_ids)


class TestComplaintSlaJobPasses(ComplaintRpcCase):
    """Issue 13, item 9: the service-level job works in time-boxed passes."""

    def test_out_of_time_stops_after_a_batch_and_triggers_again(self):
        complaints = self.Complaint.browse(
            [self._complaint(received="2026-11-20 17:00:00").id for _i in range(3)]
        )
        cron = self.env.ref("crm_relationship.ir_cron_complaint_sla")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        past = time.monotonic() - 1
        Complaint = type(self.Complaint)
        domain = Complaint._sla_due_domain
        with (
            freeze_time("2026-11-24 10:00:00"),
            # only these complaints (the demo data may have others due)
            patch.object(
                Complaint,
                "_sla_due_domain",
                lambda model, now: [("id", "in", complaints.ids), *domain(model, now)],
            ),
        ):
            done = [
                self.Complaint._sla_check(batch_size=1, deadline=past)
                for _call in range(3)
            ]
        # one complaint per call, each call but the last asks to run again
        self.assertEqual(done, [1, 1, 1])
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 2)
        self.assertTrue(all(complaints.mapped("acknowledge_escalated")))

    def test_triggers_itself_when_work_is_left(self):
        complaints = self.Complaint.browse(
            [self._complaint(received="2026-11-20 17:00:00").id for _i in range(2)]
        )
        cron = self.env.ref("crm_relationship.ir_cron_complaint_sla")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        Complaint = type(self.Complaint)
        domain = Complaint._sla_due_domain
        with (
            freeze_time("2026-11-24 10:00:00"),
            patch.object(
                Complaint,
                "_sla_due_domain",
                lambda model, now: [("id", "in", complaints.ids), *domain(model, now)],
            ),
        ):
            self.assertEqual(
                self.Complaint._sla_check(batch_size=1, deadline=time.monotonic() - 1),
                1,
            )
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 1)


@tagged("post_install", "-at_install")
class TestComplaintPortalRpc(ComplaintPortalCase):
    """The portal door: chatter uploads (hole 9), call_kw, internal fields."""

    def setUp(self):
        super().setUp()
        self.complaint = self._file(subject="Cracked lid")
        self.complaint.sudo().root_cause = "Supplier batch 42 was never checked"

    def _upload(self, name, data, pending=True):
        values = {
            "thread_id": self.complaint.id,
            "thread_model": "crm.relationship.complaint",
            "csrf_token": self.csrf_token,
        }
        if pending:
            values["is_pending"] = "true"
        res = self.url_open(
            "/mail/attachment/upload",
            data=values,
            files={"ufile": (name, data, "text/plain")},
        )
        self.assertEqual(res.status_code, 200)
        return res.json()

    def _attachment(self, result):
        (attachment,) = result["data"]["ir.attachment"]
        return attachment["id"], attachment["access_token"]

    def _post(self, uploads, body="See the files"):
        ids = [attachment_id for attachment_id, _token in uploads]
        tokens = [token for _id, token in uploads]
        return self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "crm.relationship.complaint",
                "thread_id": self.complaint.id,
                "post_data": {
                    "body": body,
                    "attachment_ids": ids,
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
                "attachment_tokens": tokens,
            },
        )

    def _complaint_files(self):
        return self.env["ir.attachment"].search(
            [
                ("res_model", "=", "crm.relationship.complaint"),
                ("res_id", "=", self.complaint.id),
            ]
        )

    @mute_logger(*DENIED_LOGGERS)
    def test_chatter_upload_has_the_form_limits(self):
        self._login(self.user_a)
        self.csrf_token = self._csrf("/my/home")
        messages = len(self.complaint.message_ids)
        # six files in one message: refused
        uploads = [
            self._attachment(self._upload(f"photo{i}.txt", b"data")) for i in range(6)
        ]
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self._post(uploads, body="Six files")
        self.assertFalse(self._complaint_files())
        self.assertEqual(len(self.complaint.message_ids), messages)
        # a file over the size limit: refused
        with patch.object(complaint_module, "CUSTOMER_MAX_ATTACHMENT_SIZE", 10):
            big = self._attachment(self._upload("big.txt", b"x" * 11))
            with self.assertRaisesRegex(JsonRpcException, "UserError"):
                self._post([big], body="Too big")
        self.assertFalse(self._complaint_files())
        # straight onto the complaint, without a message: refused
        result = self._upload("direct.txt", b"data", pending=False)
        self.assertIn("error", result)
        self.assertFalse(self._complaint_files())
        # within the limits: posted, authored by the customer
        self._post(uploads[:2], body="Two photos")
        self.assertEqual(len(self._complaint_files()), 2)
        message = self.complaint.message_ids.filtered("attachment_ids")
        self.assertEqual(message.author_id, self.person_a)
        # editing the message cannot add files beyond the limit
        more = [self._attachment(self._upload(f"more{i}.txt", b"d")) for i in range(4)]
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self.make_jsonrpc_request(
                "/mail/message/update_content",
                {
                    "message_id": message.id,
                    "body": "Two photos and four more",
                    "attachment_ids": [attachment_id for attachment_id, _ in more],
                    "attachment_tokens": [token for _, token in more],
                },
            )
        self.assertEqual(len(message.attachment_ids), 2)

    @mute_logger(*DENIED_LOGGERS)
    def test_call_kw_as_the_customer(self):
        self._login(self.user_a)

        def call(method, args, kwargs=None):
            return self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {
                    "model": "crm.relationship.complaint",
                    "method": method,
                    "args": args,
                    "kwargs": kwargs or {},
                },
            )

        rows = call("read", [self.complaint.ids, ["name", "subject", "state"]])
        self.assertEqual(rows[0]["subject"], "Cracked lid")
        refused = [
            ("read", [self.complaint.ids, ["root_cause"]]),
            ("write", [self.complaint.ids, {"subject": "Changed"}]),
            ("action_acknowledge", [self.complaint.ids]),
            ("action_escalate_dispute", [self.complaint.ids]),
            ("_portal_accept_resolution", [self.complaint.ids, True]),
        ]
        for method, args in refused:
            with self.subTest(method=method):
                with self.assertRaises(JsonRpcException):
                    call(method, args)
        complaint = self.complaint.sudo()
        complaint.invalidate_recordset()
        self.assertEqual(complaint.state, "new")
        self.assertEqual(complaint.subject, "Cracked lid")
        self.assertEqual(complaint.dispute_level, "none")
        self.assertEqual(complaint.customer_acceptance, "pending")

    @mute_logger(*DENIED_LOGGERS)
    def test_portal_page_shows_no_internal_field(self):
        self._login(self.user_a)
        res = self.url_open(f"/my/complaints/{self.complaint.id}")
        self.assertEqual(res.status_code, 200)
        self.assertIn("Cracked lid", res.text)
        self.assertNotIn("Supplier batch 42", res.text)

    @mute_logger(*DENIED_LOGGERS)
    def test_complaint_to_identify_is_nobodys_even_with_a_token(self):
        waiting = self.Complaint.create({"channel": "email", "subject": "Mail"})
        token = waiting._portal_ensure_token()
        self.authenticate(None, None)
        res = self.url_open(
            f"/my/complaints/{waiting.id}?{urlencode({'access_token': token})}",
            allow_redirects=False,
        )
        self.assertEqual(res.status_code, 303)
        self.assertNotIn(waiting.name, res.text)
        # and a customer's former link dies when the complaint changes hands
        token_a = self.complaint._portal_ensure_token()
        self.complaint.write(
            {
                "partner_id": self.company_b.id,
                "contact_id": False,
                "sale_order_id": False,
                "sale_order_line_id": False,
            }
        )
        self.assertNotEqual(self.complaint.access_token, token_a)
        res = self.url_open(
            f"/my/complaints/{self.complaint.id}?"
            f"{urlencode({'access_token': token_a})}",
            allow_redirects=False,
        )
        self.assertEqual(res.status_code, 303)
