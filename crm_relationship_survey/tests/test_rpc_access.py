"""The RPC surface of crm_relationship_survey (issue 12).

Every public method and every field is reachable over XML-RPC / call_kw by
anyone who can read the record: each test makes the attacker's call as that
user (``with_user``, or an HTTP request for routes), asserts the refusal, then
re-reads as administrator that nothing changed.
"""

import time
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields, http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import convert_file, format_date

from odoo.addons.crm_relationship.tests.common import AccessMatrixCase

from ..hooks import (
    KEPT_MODELS,
    KEPT_MODULE,
    post_init_hook,
    pre_init_hook,
    uninstall_hook,
)
from ..models.res_partner import ROLLUP_FIELDS
from .common import SatisfactionCase

JOB = "crm_relationship_survey.invitations"


class RpcCase(SatisfactionCase):
    """Two companies; users of every profile in company A (a salesman of
    company B); a confirmed order, a draft, a sent and a cancelled one, and a
    complaint of the customer of SatisfactionCase."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "RPC Company B"})
        cls.company_a.write(
            {
                "survey_order_survey_id": cls.survey.id,
                "survey_complaint_survey_id": cls.survey.id,
                "survey_periodic_survey_id": cls.survey.id,
                "survey_throttle_days": 30,
            }
        )

        def user(login, groups, company=None, **kw):
            company = company or cls.company_a
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
                **kw,
            )

        cls.public = cls.env.ref("base.public_user")
        cls.portal = user("rpc_portal", "base.group_portal", partner_id=cls.contact.id)
        cls.employee = user("rpc_employee", "base.group_user")
        cls.salesman = user("rpc_salesman", "sales_team.group_sale_salesman")
        cls.other_salesman = user("rpc_salesman_2", "sales_team.group_sale_salesman")
        cls.salesman_b = user(
            "rpc_salesman_b", "sales_team.group_sale_salesman", cls.company_b
        )
        cls.officer = user(
            "rpc_officer",
            "sales_team.group_sale_salesman_all_leads,survey.group_survey_user",
        )
        cls.product = cls.env["product.product"].create({"name": "RPC Widget"})
        cls.order = cls._order()
        cls.order.action_confirm()
        cls.draft = cls._order()
        cls.sent = cls._order()
        cls.sent.action_quotation_sent()
        cls.cancelled = cls._order()
        cls.cancelled._action_cancel()
        cls.complaint = cls.env["crm.relationship.complaint"].create(
            {
                "partner_id": cls.customer.id,
                "contact_id": cls.contact.id,
                "subject": "Broken lid",
                "user_id": cls.salesman.id,
            }
        )
        # the survey after a complaint asks about its resolution
        cls.complaint.action_resolve()

    @classmethod
    def _order(cls, company=None, salesman=None):
        return cls.env["sale.order"].create(
            {
                "partner_id": cls.contact.id,
                "user_id": (salesman or cls.salesman).id,
                "company_id": (company or cls.company_a).id,
                "order_line": [Command.create({"product_id": cls.product.id})],
            }
        )

    def snapshot(self):
        """What a send writes, read as administrator."""
        self.env.flush_all()
        self.env.invalidate_all()
        return {
            "answers": self.env["survey.user_input"].search_count([]),
            "mails": self.env["mail.mail"].search_count(
                [("model", "=", "survey.user_input")]
            ),
            "last_invite": self.customer.survey_last_invite_date,
        }


class TestManualInvitationRpc(RpcCase):
    """Hole 1: survey spam and NPS stuffing through the public send buttons."""

    def targets(self):
        return {
            "sale.order": self.order,
            "res.partner": self.customer,
            "crm.relationship.complaint": self.complaint,
        }

    def test_send_refused_to_public_portal_and_employee(self):
        before = self.snapshot()
        for user in (self.public, self.portal, self.employee):
            for model, record in self.targets().items():
                with (
                    self.subTest(user=user.login, model=model),
                    self.assertRaisesRegex(AccessError, "Only relationship users"),
                ):
                    record.with_user(user).action_send_satisfaction_survey()
        self.assertEqual(self.snapshot(), before)

    def test_group_checked_before_any_sudo_work(self):
        """The refusal comes before the survey answer is even considered."""
        with (
            patch.object(
                type(self.env["survey.survey"]), "_create_answer"
            ) as create_answer,
            patch.object(
                type(self.env["res.partner"]), "_survey_invitation_blocker"
            ) as blocker,
        ):
            for record in self.targets().values():
                with self.assertRaises(AccessError):
                    record.with_user(self.employee).action_send_satisfaction_survey()
        create_answer.assert_not_called()
        blocker.assert_not_called()

    def test_salesman_sends_about_confirmed_order(self):
        """The control case: a relationship user sends about a confirmed order
        once; the answer counts for the order's company."""
        before = self.snapshot()
        action = self.order.with_user(self.salesman).action_send_satisfaction_survey()
        self.assertEqual(action["params"]["type"], "success")
        after = self.snapshot()
        self.assertEqual(after["answers"], before["answers"] + 1)
        self.assertEqual(after["mails"], before["mails"] + 1)
        self.assertTrue(after["last_invite"])
        answer = self.order.satisfaction_input_ids
        self.assertEqual(answer.partner_id, self.contact)
        self.assertEqual(answer.relationship_company_id, self.company_a)

    def test_unconfirmed_orders_refused(self):
        before = self.snapshot()
        for order, state in (
            (self.draft, "Quotation"),
            (self.sent, "Quotation Sent"),
            (self.cancelled, "Cancelled"),
        ):
            with (
                self.subTest(state=order.state),
                self.assertRaisesRegex(UserError, f"is {state}.*confirmed orders"),
            ):
                order.with_user(self.salesman).action_send_satisfaction_survey()
        self.assertEqual(self.snapshot(), before)

    def test_throttle_applies_to_manual_sends(self):
        """The company's window applies to the buttons too, and the message
        says when the customer was last asked."""
        last = fields.Datetime.now() - timedelta(days=5)
        self.customer.survey_last_invite_date = last
        before = self.snapshot()
        for model, record in self.targets().items():
            with (
                self.subTest(model=model),
                self.assertRaises(UserError) as caught,
            ):
                record.with_user(self.salesman).action_send_satisfaction_survey()
            message = str(caught.exception)
            self.assertIn("last asked", message)
            self.assertIn(format_date(self.env, last), message)
            self.assertIn("30 days", message)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.customer.survey_last_invite_date, last)
        # no context key lifts it
        with self.assertRaises(UserError):
            self.order.with_user(self.salesman).with_context(
                survey_no_throttle=True, throttle=False
            ).action_send_satisfaction_survey()
        self.assertEqual(self.snapshot(), before)

    def test_salesman_own_documents_cannot_send_about_others_orders(self):
        """T23: a salesman who sees only their own orders cannot send about a
        colleague's order (they cannot read it)."""
        order = self._order(salesman=self.other_salesman)
        order.action_confirm()
        before = self.snapshot()
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).action_send_satisfaction_survey()
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(order.satisfaction_input_ids)

    def test_view_actions_leak_nothing(self):
        """The action_view_* methods open backend lists: refused to anyone
        but relationship users who read the record (portal users read their
        own orders), and the answer count of an order is that of the answers
        the user may read (no sudo count)."""
        answer = self.answer({self.q_nps: 9}, sale_order_id=self.order.id)
        for user in (self.public, self.portal, self.employee):
            for record, method in (
                (self.order, "action_view_satisfaction_inputs"),
                (self.customer, "action_view_survey_answers"),
                (answer, "action_view_followup"),
            ):
                with (
                    self.subTest(user=user.login, method=method),
                    self.assertRaisesRegex(AccessError, "Only relationship users"),
                ):
                    getattr(record.with_user(user), method)()
        with self.assertRaises(AccessError):
            answer.with_user(self.salesman).action_view_followup()
        self.assertEqual(
            self.order.with_user(self.salesman).satisfaction_input_count, 0
        )
        self.assertEqual(self.order.with_user(self.officer).satisfaction_input_count, 1)
        action = self.customer.with_user(self.salesman).action_view_survey_answers()
        self.assertEqual(
            action["domain"], [("relationship_partner_id", "=", self.customer.id)]
        )
        # the action opens answers the salesman cannot list without survey rights
        with self.assertRaises(AccessError):
            self.env["survey.user_input"].with_user(self.salesman).search(
                action["domain"]
            )


class TestSystemFieldsRpc(RpcCase):
    """Hole 4: figures the system computes are not written over RPC."""

    def test_salesman_cannot_write_rollup(self):
        self.answer({self.q_nps: 3, self.q_csat: 2})
        self.env.invalidate_all()
        before = self.customer.read([*ROLLUP_FIELDS, "survey_last_invite_date"])[0]
        self.assertEqual(before["last_nps_score"], 3)
        attempts = {
            "last_nps_score": 10,
            "last_nps_category": "promoter",
            "nps_trend": 7,
            "csat_avg_12m": 5.0,
            "satisfaction_ratio": 2.0,
            "acsi_index": 100.0,
            "survey_response_count": 50,
            "last_survey_date": fields.Datetime.now(),
            "survey_last_invite_date": False,
        }
        for fname, value in attempts.items():
            with (
                self.subTest(field=fname),
                self.assertRaisesRegex(AccessError, "computed by the system"),
            ):
                self.customer.with_user(self.salesman).write({fname: value})
        self.env.invalidate_all()
        self.assertEqual(
            self.customer.read([*ROLLUP_FIELDS, "survey_last_invite_date"])[0],
            before,
        )

    def test_survey_officer_cannot_write_answer_indices(self):
        """Survey officers may write answers (survey's ACL) but not the
        indices, customer, company or kind the system sets."""
        answer = self.answer({self.q_nps: 3, self.q_csat: 2})
        before = answer.read(
            [
                "nps_score",
                "nps_category",
                "csat_score",
                "relationship_partner_id",
                "relationship_kind",
                "relationship_company_id",
            ]
        )[0]
        for vals in (
            {"nps_score": 10},
            {"nps_category": "promoter"},
            {"nps_points": 100},
            {"csat_score": 5},
            {"acsi_index": 100},
            {"share_of_wallet": 90},
            {"share_of_wallet_answered": True},
            {"competitor_consideration": 0},
            {"competitor_answered": True},
            {"relationship_partner_id": self.other_customer.id},
            {"relationship_kind": False},
            {"relationship_company_id": self.company_b.id},
            {"followup_done": True},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(AccessError, "computed by the system"),
            ):
                answer.with_user(self.officer).write(vals)
        # nor at creation
        with self.assertRaises(AccessError):
            self.env["survey.user_input"].with_user(self.officer).create(
                {
                    "survey_id": self.survey.id,
                    "partner_id": self.contact.id,
                    "nps_score": 10,
                    "nps_category": "promoter",
                }
            )
        self.env.invalidate_all()
        self.assertEqual(answer.read(list(before))[0], before)
        self.assertEqual(self.customer.last_nps_score, 3)
        # the officer still writes what survey lets them write
        answer.with_user(self.officer).write({"email": "other@example.com"})

    def test_invitation_stamp_of_orders_and_complaints(self):
        """Marking an order or complaint as invited stops its invitation:
        only the job does it."""
        for record, user in (
            (self.order, self.salesman),
            (self.complaint, self.salesman),
        ):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                record.with_user(user).write({"satisfaction_invite_done": True})
            self.assertFalse(record.satisfaction_invite_done)
        # nor at creation, nor by copying
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(self.salesman).create(
                {"partner_id": self.contact.id, "satisfaction_invite_done": True}
            )
        with self.assertRaises(AccessError):
            self.order.with_user(self.salesman).copy({"satisfaction_invite_done": True})
        with self.assertRaises(AccessError):
            self.env["crm.relationship.complaint"].with_user(self.salesman).create(
                {
                    "partner_id": self.customer.id,
                    "subject": "Muted",
                    "satisfaction_invite_done": True,
                }
            )
        self.assertFalse(
            self.env["sale.order"]
            .search(
                [("satisfaction_invite_done", "=", True), ("id", "!=", self.order.id)]
            )
            .filtered(lambda o: o.create_uid == self.salesman)
        )

    def test_survey_officer_cannot_move_or_void_an_answer(self):
        """The answer's customer, subject and state are what the NPS counts:
        a survey officer rewrites none of them (review of hole 4)."""
        answer = self.answer({self.q_nps: 2})
        self.assertEqual(self.customer.last_nps_category, "detractor")
        names = ["partner_id", "state", "test_entry", "sale_order_id", "survey_id"]
        before = answer.read(names)[0]
        for vals in (
            {"partner_id": self.other_customer.id},
            {"state": "in_progress"},
            {"test_entry": True},
            {"sale_order_id": self.order.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                answer.with_user(self.officer).write(vals)
        self.env.invalidate_all()
        self.assertEqual(answer.read(names)[0], before)
        self.assertEqual(self.customer.last_nps_category, "detractor")


class TestRollupPerCompany(RpcCase):
    """Hole 3: a customer shared by companies A and B; what it answered to A
    is not read from B."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # answered about company A's order; no answer in company B
        cls.answer_a = cls.answer(
            {cls.q_nps: 4, cls.q_csat: 2, cls.q_comment: "Late"},
            sale_order_id=cls.order.id,
        )

    def test_answer_counts_for_the_order_company(self):
        self.assertFalse(self.customer.company_id)
        self.assertEqual(self.answer_a.relationship_company_id, self.company_a)
        # even when the current company is B when it is answered
        order_b = self._order(company=self.company_b, salesman=self.salesman_b)
        answer = self.answer(
            {self.q_nps: 10}, sale_order_id=order_b.id, company=self.company_a
        )
        self.assertEqual(answer.relationship_company_id, self.company_b)

    def test_company_b_reads_nothing_of_company_a(self):
        figures = ["last_nps_score", "last_nps_category", "csat_avg_12m"]
        figures += ["survey_response_count", "last_survey_date", "nps_trend"]
        values_b = self.customer.with_user(self.salesman_b).read(figures)[0]
        self.assertEqual(values_b["last_nps_score"], 0)
        self.assertFalse(values_b["last_nps_category"])
        self.assertEqual(values_b["csat_avg_12m"], 0)
        self.assertEqual(values_b["survey_response_count"], 0)
        self.assertFalse(values_b["last_survey_date"])
        values_a = self.customer.with_user(self.salesman).read(figures)[0]
        self.assertEqual(values_a["last_nps_score"], 4)
        self.assertEqual(values_a["last_nps_category"], "detractor")
        self.assertEqual(values_a["csat_avg_12m"], 2)
        self.assertEqual(values_a["survey_response_count"], 1)
        self.assertTrue(values_a["last_survey_date"])
        # search and group by work per company too
        scope = [("id", "=", self.customer.id), ("survey_response_count", ">", 0)]
        Partner = self.env["res.partner"]
        self.assertFalse(Partner.with_user(self.salesman_b).search(scope))
        self.assertEqual(Partner.with_user(self.salesman).search(scope), self.customer)
        groups = Partner.with_user(self.salesman)._read_group(
            [("id", "=", self.customer.id)], ["last_nps_category"], ["__count"]
        )
        self.assertEqual(groups, [("detractor", 1)])

    def test_answer_in_b_does_not_change_a(self):
        order_b = self._order(company=self.company_b, salesman=self.salesman_b)
        self.answer({self.q_nps: 10, self.q_csat: 5}, sale_order_id=order_b.id)
        self.env.invalidate_all()
        in_a = self.customer.with_company(self.company_a)
        in_b = self.customer.with_company(self.company_b)
        self.assertEqual(in_a.last_nps_score, 4)
        self.assertEqual(in_a.survey_response_count, 1)
        self.assertEqual(in_a.nps_trend, 0)
        self.assertEqual(in_b.last_nps_score, 10)
        self.assertEqual(in_b.last_nps_category, "promoter")
        self.assertEqual(in_b.survey_response_count, 1)
        # the stored column holds one value per company
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT last_nps_score FROM res_partner WHERE id = %s",
            [self.customer.id],
        )
        self.assertEqual(
            self.env.cr.fetchone()[0],
            {str(self.company_a.id): 4, str(self.company_b.id): 10},
        )

    def test_health_input_reads_the_current_company(self):
        Partner = self.env["res.partner"]
        partners = self.customer | self.contact
        in_b = Partner.with_company(self.company_b)._relationship_satisfaction_values(
            partners
        )
        self.assertEqual(in_b, {})
        in_a = Partner.with_company(self.company_a)._relationship_satisfaction_values(
            partners
        )
        # NPS 4 -> 0.4, CSAT 2 -> 0.25
        self.assertAlmostEqual(in_a[self.customer.id], 0.325)
        self.assertAlmostEqual(in_a[self.contact.id], 0.325)

    def test_recompute_all_and_fill_company(self):
        """What the migration runs: answers without company get one, and the
        roll-up recomputed from scratch equals the incremental one."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE survey_user_input SET relationship_company_id = NULL WHERE id = %s",
            [self.answer_a.id],
        )
        self.env.cr.execute(
            "UPDATE res_partner SET last_nps_score = NULL, survey_response_count = NULL"
            " WHERE id = %s",
            [self.customer.id],
        )
        self.env.invalidate_all()
        self.assertGreaterEqual(
            self.env["survey.user_input"]._relationship_fill_company(), 1
        )
        self.assertEqual(self.answer_a.relationship_company_id, self.company_a)
        self.assertGreaterEqual(
            self.env["res.partner"]._survey_recompute_all_rollups(), 1
        )
        in_a = self.customer.with_company(self.company_a)
        self.assertEqual(in_a.last_nps_score, 4)
        self.assertEqual(in_a.survey_response_count, 1)
        self.assertEqual(self.customer.with_company(self.company_b).last_nps_score, 0)


class TestUninstallKeepsAnswers(RpcCase):
    """Hole 5: uninstalling the module keeps the shipped surveys, hence the
    customers' answers.

    What this proves, honestly: a real uninstall drops tables and columns and
    reloads the registry, which cannot run inside a TransactionCase. The test
    runs the uninstall hook, then checks what ``_module_data_uninstall`` would
    delete: it deletes exactly the records the module's external ids point to
    (``ir.model.data`` rows with ``module = 'crm_relationship_survey'``), and
    after the hook none of them is a survey, question, suggested answer or
    answer, so the surveys and their answers are out of its reach. It then
    runs the reinstall hooks and reloads the survey data file in install mode,
    as a reinstall does, and checks that the surveys are found again, not
    duplicated, and that the answer gets back its order, company and indices
    (the dropped columns are simulated by emptying them). A real uninstall and
    reinstall was run by hand on a scratch database (see the issue report).
    """

    def test_uninstall_hook_then_reinstall(self):
        survey = self.env.ref("crm_relationship_survey.survey_post_purchase")
        question = self.env.ref("crm_relationship_survey.survey_post_purchase_q_nps")
        answer = self.answer({question: 8}, survey=survey, sale_order_id=self.order.id)
        self.assertEqual(answer.state, "done")
        surveys_before = self.env["survey.survey"].search_count([])
        IrModelData = self.env["ir.model.data"]
        module = [("module", "=", "crm_relationship_survey")]

        uninstall_hook(self.env)

        reached = IrModelData.search(module)
        self.assertTrue(reached, "the module keeps its other external ids")
        self.assertFalse(reached.filtered(lambda d: d.model in KEPT_MODELS))
        self.assertFalse(
            self.env.ref(
                "crm_relationship_survey.survey_post_purchase",
                raise_if_not_found=False,
            )
        )
        kept = IrModelData.search([("module", "=", KEPT_MODULE)])
        self.assertIn(
            survey.id,
            kept.filtered(lambda d: d.model == "survey.survey").mapped("res_id"),
        )
        # what _module_data_uninstall deletes: the records of `reached`; none
        # of them is a survey record: survey, question, answer all remain
        self.assertTrue(survey.exists() and question.exists() and answer.exists())
        self.assertEqual(answer.user_input_line_ids.question_id, question)
        # the module's columns are dropped: simulate it on the answer (the
        # hook kept company and order apart)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE survey_user_input SET relationship_company_id = NULL,"
            " sale_order_id = NULL, nps_score = 0 WHERE id = %s",
            [answer.id],
        )
        self.env.invalidate_all()

        # reinstall: the kept records get their external ids back, and the
        # data file (install mode) finds them instead of creating duplicates
        pre_init_hook(self.env)
        self.assertEqual(
            self.env.ref("crm_relationship_survey.survey_post_purchase"), survey
        )
        self.assertFalse(IrModelData.search([("module", "=", KEPT_MODULE)]))
        convert_file(
            self.env,
            "crm_relationship_survey",
            "data/survey_survey_data.xml",
            {},
            mode="init",
            noupdate=True,
        )
        self.assertEqual(self.env["survey.survey"].search_count([]), surveys_before)
        self.assertEqual(
            self.env.ref("crm_relationship_survey.survey_post_purchase"), survey
        )
        post_init_hook(self.env)
        self.assertTrue(answer.exists())
        self.assertEqual(answer.nps_score, 8)
        self.assertEqual(answer.sale_order_id, self.order)
        self.assertEqual(answer.relationship_company_id, self.company_a)

    def test_reinstall_skips_deleted_surveys(self):
        """A kept survey deleted in between loses its stale external id, so
        the data file creates it again instead of failing."""
        survey = self.env.ref("crm_relationship_survey.survey_kano_example")
        uninstall_hook(self.env)
        survey.unlink()
        pre_init_hook(self.env)
        self.assertFalse(
            self.env.ref(
                "crm_relationship_survey.survey_kano_example",
                raise_if_not_found=False,
            )
        )
        convert_file(
            self.env,
            "crm_relationship_survey",
            "data/survey_survey_data.xml",
            {},
            mode="init",
            noupdate=True,
        )
        again = self.env.ref("crm_relationship_survey.survey_kano_example")
        self.assertNotEqual(again, survey)
        self.assertEqual(again.relationship_kind, "kano")

    def test_restore_recomputes_kept_answers(self):
        """post_init_hook after a reinstall: indices, company and roll-up of
        answers whose columns were recreated empty."""
        answer = self.answer({self.q_nps: 2, self.q_csat: 1})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE survey_user_input SET nps_score = 0, nps_category = NULL,"
            " csat_score = 0, relationship_company_id = NULL WHERE id = %s",
            [answer.id],
        )
        self.env.cr.execute(
            "UPDATE res_partner SET last_nps_category = NULL WHERE id = %s",
            [self.customer.id],
        )
        self.env.invalidate_all()
        answer._relationship_restore()
        self.assertEqual(answer.nps_category, "detractor")
        self.assertEqual(answer.csat_score, 1)
        self.assertEqual(answer.relationship_company_id, self.company_a)
        self.assertEqual(self.customer.last_nps_category, "detractor")


class TestInvitationJobFailure(RpcCase):
    """Hole 6: a failing invitation job is reported, not silent, and the work
    of the failed run is rolled back."""

    def test_failure_reported_then_resolved(self):
        self.order.date_order = fields.Datetime.now() - timedelta(days=10)
        admin = self.env.ref("base.user_admin")
        Failure = self.env["crm.relationship.job.failure"]
        Partner = self.env["res.partner"]
        before = self.snapshot()
        # the complaints are searched after the orders were invited
        with patch.object(
            type(Partner),
            "_survey_due_complaint_ids",
            side_effect=RuntimeError("complaint search exploded"),
        ):
            self.assertFalse(Partner._cron_send_satisfaction_surveys())
        failure = Failure.search([("job", "=", JOB)])
        self.assertEqual(len(failure), 1)
        self.assertEqual(failure.state, "failed")
        self.assertEqual(failure.name, "Satisfaction survey invitations")
        self.assertIn("complaint search exploded", failure.error)
        self.assertIn(admin, failure.activity_ids.user_id)
        # the orders invited before the crash are rolled back with it
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(self.order.satisfaction_invite_done)

        sent = Partner._cron_send_satisfaction_surveys()
        self.assertEqual(failure.state, "resolved")
        self.assertFalse(failure.activity_ids)
        self.assertIn(self.order, sent.sale_order_id)
        self.assertTrue(self.order.satisfaction_invite_done)


class TestInvitationJobPasses(RpcCase):
    """Issue 13, item 9: the invitation job works in time-boxed passes."""

    def test_out_of_time_stops_after_a_batch_and_triggers_again(self):
        second = self._order()
        second.action_confirm()
        orders = self.order | second
        orders.write({"date_order": fields.Datetime.now() - timedelta(days=10)})
        cron = self.env.ref("crm_relationship_survey.ir_cron_satisfaction_invitations")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        Partner = self.env["res.partner"]
        past = time.monotonic() - 1
        PartnerClass = type(Partner)
        # only these two orders are due (the demo data may have others)
        with (
            patch.object(
                PartnerClass,
                "_survey_due_order_ids",
                lambda partners, company: (
                    [o.id for o in orders if not o.satisfaction_invite_done]
                    if company == self.company_a
                    else []
                ),
            ),
            patch.object(
                PartnerClass, "_survey_due_complaint_ids", lambda partners, c: []
            ),
            patch.object(
                PartnerClass, "_survey_due_periodic_ids", lambda partners, c: []
            ),
        ):
            Partner._survey_run_invitations(batch_size=1, deadline=past)
            self.assertEqual(orders.mapped("satisfaction_invite_done"), [True, False])
            self.assertEqual(
                Trigger.search_count([("cron_id", "=", cron.id)]), before + 1
            )
            Partner._survey_run_invitations(batch_size=1, deadline=past)
        self.assertEqual(orders.mapped("satisfaction_invite_done"), [True, True])


@tagged("post_install", "-at_install")
class TestRateRouteRpc(HttpCase, RpcCase):
    """Hole 2: POST /my/orders/<id>/rate hands out the customer's answer
    link (its token) only to the customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_portal = new_test_user(
            cls.env,
            login="rpc_other_portal",
            groups="base.group_portal",
            name="Other Buyer",
        )
        cls.other_portal.partner_id.parent_id = cls.other_customer
        cls.token = cls.order._portal_ensure_token()

    def rate(self, access_token=None):
        data = {"csrf_token": http.Request.csrf_token(self)}
        if access_token:
            data["access_token"] = access_token
        return self.url_open(
            f"/my/orders/{self.order.id}/rate", data=data, allow_redirects=False
        )

    def assertRefused(self, response, before):
        self.assertEqual(response.status_code, 303)
        location = response.headers.get("Location", "")
        self.assertTrue(location.endswith("/my"), location)
        self.assertNotIn("/survey/", location)
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(self.order.satisfaction_input_ids)

    def test_internal_users_get_no_answer_link(self):
        """Staff who can read the order (with or without its token) are sent
        to /my: they never get a link to answer in the customer's name."""
        before = self.snapshot()
        for user in (self.salesman, self.officer, self.employee):
            self.authenticate(user.login, user.login)
            for token in (None, self.token):
                with self.subTest(user=user.login, token=bool(token)):
                    self.assertRefused(self.rate(token), before)

    def test_other_customer_with_the_order_token_refused(self):
        """A logged-in contact of another customer holding the order's token
        is someone else: refused."""
        before = self.snapshot()
        self.authenticate(self.other_portal.login, self.other_portal.login)
        for token in (None, self.token):
            with self.subTest(token=bool(token)):
                self.assertRefused(self.rate(token), before)

    def test_customer_rates_token_holder_does_not(self):
        """The control case: the customer's contact logged in rates as
        themselves. A visitor holding only the order's token (which any
        salesperson can read) gets no answer link, not even the pending one."""
        self.authenticate(self.portal.login, self.portal.login)
        response = self.rate()
        answer = self.order.satisfaction_input_ids
        self.assertEqual(answer.partner_id, self.contact)
        self.assertTrue(response.headers["Location"].endswith(answer.get_start_url()))
        self.logout()
        response = self.rate(self.token)
        self.assertEqual(self.order.satisfaction_input_ids, answer)
        self.assertNotIn(answer.access_token, response.headers.get("Location", ""))
        self.assertNotIn("/survey/", response.headers.get("Location", ""))

    def test_model_method_refuses_internal_users(self):
        order = self.order.sudo()
        with self.assertRaises(AccessError):
            order._satisfaction_portal_rate_for(self.salesman)
        with self.assertRaises(AccessError):
            order._satisfaction_portal_rate_for(self.other_portal)
        self.assertFalse(self.order.satisfaction_input_ids)


class TestSurveyAccessMatrix(AccessMatrixCase, TransactionCase):
    """T8: the models this addon defines, per role.

    Kano results are survey data derived from the answers: like the answers
    (survey's ACL) they are read by survey officers and changed by survey
    managers only (see test_satisfaction_access.py for those two roles).
    None of the six roles below holds survey rights: public and portal users
    never see them (satisfaction figures are internal), and neither do
    employees, salespeople or relationship administrators without the
    survey app's rights.

    Satisfaction by month holds counts of the answers, no answer: every
    relationship user reads it (a row of their company: record column),
    nobody changes it (an SQL view).
    """

    ADDON = "crm_relationship_survey"
    NONE = ("----", "----")
    READ = ("r---", "r---")
    MATRIX = {
        "crm.relationship.satisfaction.report": {
            "public": NONE,
            "portal": NONE,
            "employee": NONE,
            "salesman_own": READ,
            "salesman_all": READ,
            "manager": READ,
        },
        "crm.relationship.kano.result": {
            "public": NONE,
            "portal": NONE,
            "employee": NONE,
            "salesman_own": NONE,
            "salesman_all": NONE,
            "manager": NONE,
        },
    }

    def _matrix_samples(self):
        survey = self.env["survey.survey"].create(
            {"title": "Matrix Kano", "relationship_kind": "kano"}
        )
        customer = self.env["res.partner"].create({"name": "Matrix customer"})
        answer = survey._create_answer(partner=customer, check_attempts=False)
        result = self.env["crm.relationship.kano.result"].create(
            {
                "user_input_id": answer.id,
                "feature": "Matrix feature",
                "functional_answer": 1,
                "dysfunctional_answer": 5,
                "category": "O",
            }
        )
        # a completed answer: a row of the satisfaction report
        survey._create_answer(partner=customer, check_attempts=False)._mark_done()
        self.env.flush_all()
        report = self.env["crm.relationship.satisfaction.report"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )
        return {
            "crm.relationship.kano.result": result,
            "crm.relationship.satisfaction.report": report,
        }
