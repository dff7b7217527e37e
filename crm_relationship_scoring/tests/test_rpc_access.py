"""What a customer, a salesperson or a plain employee can do to the scores
over RPC.

Every public method and every field of a model is reachable through
``/web/dataset/call_kw`` and XML-RPC by anyone who can read the record: each
test makes the call an attacker would make, as that user, asserts the refusal
and re-reads the data as administrator to show that nothing changed.
"""

import inspect
from unittest.mock import patch

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.crm_relationship.tests.common import AccessMatrixCase

from ..models import crm_relationship_score_run as score_model
from ..models import score_job
from ..models.res_partner import SCORE_FIELDS
from .common import ScoringCase

R, NONE = "r---", "----"
SCORE_JOB = score_model.SCORE_JOB
ScoreJob = score_job.ScoreJob

#: every public method of the addon and the group its caller needs
PUBLIC_METHODS = {
    ("crm.relationship.score.run", "action_recompute"): "manager",
    ("crm.relationship.score.run", "action_view_snapshots"): "user",
    ("crm.relationship.score.run", "action_open_segment_transitions"): "user",
    ("res.config.settings", "action_relationship_recompute_scores"): "manager",
    ("res.partner", "action_view_score_trend"): "user",
    ("crm.relationship.score", "action_open_partner"): "user",
    ("crm.relationship.score", "action_send_mailing"): "user",
    ("crm.relationship.score", "action_add_to_mailing_list"): "user",
}
#: salespeople without Email Marketing rights are told to ask for them
MAILING_METHODS = {
    ("crm.relationship.score", "action_send_mailing"),
    ("crm.relationship.score", "action_add_to_mailing_list"),
}


class RpcScoringCase(ScoringCase):
    """A scored customer (the portal user's company) and the attackers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        companies = [(6, 0, (cls.company | cls.main_company).ids)]

        def user(login, groups):
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=cls.company.id,
                company_ids=companies,
            )

        cls.portal = new_test_user(
            cls.env, login="rpc_scoring_portal", groups="base.group_portal"
        )
        cls.employee = user("rpc_scoring_employee", "base.group_user")
        cls.salesman_own = user("rpc_scoring_own", "sales_team.group_sale_salesman")
        cls.salesman_all = user(
            "rpc_scoring_all", "sales_team.group_sale_salesman_all_leads"
        )
        # "own documents only" with Odoo's contact creation right: the most a
        # salesperson usually has on contacts (the ACL lets them write partners)
        cls.salesman_contacts = user(
            "rpc_scoring_contacts",
            "sales_team.group_sale_salesman,base.group_partner_manager",
        )
        # an administrator with the usual sales rights (writes contacts)
        cls.manager = user(
            "rpc_scoring_manager",
            "sales_team.group_sale_salesman,base.group_partner_manager,"
            "crm_relationship.crm_relationship_group_manager",
        )
        cls.public = cls.env.ref("base.public_user")
        cls.customer = cls.portal.partner_id
        cls.customer.write(
            {"is_company": True, "company_id": False, "user_id": cls.salesman_own.id}
        )
        cls._orders([(cls.customer, 40, 300.0), (cls.customer, 8, 200.0)])
        cls.score_run = cls.Run._compute_scores(cls.company, today=cls.today)
        cls.snapshot = cls.score_run.snapshot_ids

    def _as_admin(self, records, names):
        self.env.invalidate_all()
        return records.read(names)


class TestForgedScores(RpcScoringCase):
    """Hole 4: the scores are written by the scoring job only."""

    FORGED = {
        "clv_value": 1e9,
        "health_score": 100.0,
        "p_alive": 1.0,
        "churn_risk": 0.0,
        "churn_risk_level": "low",
        "value_at_risk": 0.0,
        "rfm_segment": "champions",
        "rfm_code": "555",
        "rfm_r_score": 5,
        "score_explanation": "Best customer ever",
        "score_date": "2020-01-01",
        "expected_purchases": 99.0,
    }

    def test_every_score_field_is_a_system_field(self):
        system = self.env["res.partner"]._relationship_system_fields()
        self.assertFalse(set(SCORE_FIELDS) - system)
        self.assertIn("score_snapshot_ids", system)

    def test_salespeople_cannot_write_scores(self):
        before = self._as_admin(self.customer, list(self.FORGED))
        self.assertTrue(before[0]["clv_value"])
        for user in (self.salesman_own, self.salesman_all, self.salesman_contacts):
            customer = self.customer.with_user(user)
            for name, value in self.FORGED.items():
                with (
                    self.subTest(user=user.login, field=name),
                    self.assertRaises(AccessError),
                ):
                    customer.write({name: value})
            with self.assertRaises(AccessError):
                customer.write({"clv_value": 1e9, "health_score": 100, "p_alive": 1})
            # a context key does not lift the guard
            with self.assertRaises(AccessError):
                customer.with_context(tracking_disable=True, install_mode=True).write(
                    {"health_score": 100.0}
                )
        # refused by the guard on system fields, not only by the ACL
        with self.assertRaisesRegex(AccessError, "computed by the system"):
            self.customer.with_user(self.salesman_contacts).write({"p_alive": 1.0})
        self.assertEqual(self._as_admin(self.customer, list(self.FORGED)), before)

    def test_scores_cannot_be_set_at_creation(self):
        Partner = self.env["res.partner"].with_user(self.salesman_contacts)
        with self.assertRaisesRegex(AccessError, "computed by the system"):
            Partner.create({"name": "Forged Champion", "clv_value": 1e9})
        self.assertFalse(
            self.env["res.partner"].search([("name", "=", "Forged Champion")])
        )

    def test_history_cannot_be_forged_through_the_partner(self):
        customer = self.customer.with_user(self.salesman_contacts)
        before = self._as_admin(self.snapshot, ["health_score", "partner_id"])
        forged = {
            "run_id": self.score_run.id,
            "company_id": self.company.id,
            "date": "2020-01-01",
            "health_score": 100.0,
        }
        for commands in ([(0, 0, forged)], [(1, self.snapshot.id, forged)]):
            with self.subTest(commands=commands), self.assertRaises(AccessError):
                customer.write({"score_snapshot_ids": commands})
        with self.assertRaises(AccessError):
            customer.write({"score_snapshot_ids": [(2, self.snapshot.id)]})
        self.assertEqual(
            self._as_admin(self.snapshot, ["health_score", "partner_id"]), before
        )
        self.assertEqual(self.customer.score_snapshot_ids, self.snapshot)

    def test_runs_and_snapshots_are_read_only_over_rpc(self):
        run_before = self._as_admin(
            self.score_run, ["customer_count", "total_clv", "state"]
        )
        snap_before = self._as_admin(self.snapshot, ["clv_value", "health_score"])
        Run = self.env["crm.relationship.score.run"]
        Snapshot = self.env["crm.relationship.score.snapshot"]
        for user in (
            self.salesman_own,
            self.salesman_all,
            self.salesman_contacts,
            self.manager,
        ):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.score_run.with_user(user).write({"total_clv": 1e9})
                with self.assertRaises(AccessError):
                    self.score_run.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    Run.with_user(user).create(
                        {"company_id": self.company.id, "date": "2020-01-01"}
                    )
                with self.assertRaises(AccessError):
                    self.snapshot.with_user(user).write({"health_score": 100.0})
                with self.assertRaises(AccessError):
                    self.snapshot.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    Snapshot.with_user(user).create(
                        {
                            "run_id": self.score_run.id,
                            "partner_id": self.salesman_own.partner_id.id,
                            "company_id": self.company.id,
                            "date": "2020-01-01",
                        }
                    )
        self.assertEqual(
            self._as_admin(self.score_run, ["customer_count", "total_clv", "state"]),
            run_before,
        )
        self.assertEqual(
            self._as_admin(self.snapshot, ["clv_value", "health_score"]), snap_before
        )
        self.assertEqual(Run.search_count([("date", "=", "2020-01-01")]), 0)
        self.assertEqual(len(self.score_run.snapshot_ids), 1)

    def test_administrators_cannot_correct_scores_either(self):
        """Scores live in their own table, recomputed every night: a
        correction on the partner would be silently lost, so it is refused
        with a clear message, to administrators too."""
        before = self._as_admin(self.customer, ["health_score", "clv_value"])
        with self.assertRaisesRegex(AccessError, "cannot be changed by hand"):
            self.customer.with_user(self.manager).write({"health_score": 12.5})
        self.env.invalidate_all()
        self.assertEqual(
            self._as_admin(self.customer, ["health_score", "clv_value"]), before
        )

    def test_the_job_still_writes_the_scores(self):
        """The job writes by SQL and as superuser: the guard never stops it,
        even when an administrator (not superuser) presses Recompute now."""
        self._orders([(self.customer, 1, 50.0)])
        action = (
            self.Run.with_user(self.manager)
            .with_company(self.company)
            .action_recompute()
        )
        self.assertEqual(action["params"]["type"], "success")
        self.env.invalidate_all()
        self.assertEqual(self.customer.rfm_frequency, 3)
        self.assertEqual(self.customer.score_run_id, self.score_run)


class TestPublicMethods(RpcScoringCase):
    """Hole 8: every public method checks the caller's group first."""

    def _calls(self):
        """The attacker's call of each public method (as ``call_kw`` makes it)."""
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        return {
            ("crm.relationship.score.run", "action_recompute"): lambda u: (
                self.Run.with_user(u).action_recompute(self.company.id)
            ),
            ("crm.relationship.score.run", "action_view_snapshots"): lambda u: (
                self.score_run.with_user(u).action_view_snapshots()
            ),
            (
                "crm.relationship.score.run",
                "action_open_segment_transitions",
            ): lambda u: self.Run.with_user(u).action_open_segment_transitions(),
            ("res.config.settings", "action_relationship_recompute_scores"): lambda u: (
                settings.with_user(u).action_relationship_recompute_scores()
            ),
            ("res.partner", "action_view_score_trend"): lambda u: (
                self.customer.with_user(u).action_view_score_trend()
            ),
            ("crm.relationship.score", "action_open_partner"): lambda u: (
                self.env["crm.relationship.score"]
                .search([("partner_id", "=", self.customer.id)])
                .with_user(u)
                .action_open_partner()
            ),
            ("crm.relationship.score", "action_send_mailing"): lambda u: (
                self.env["crm.relationship.score"]
                .search([("partner_id", "=", self.customer.id)])
                .with_user(u)
                .action_send_mailing()
            ),
            ("crm.relationship.score", "action_add_to_mailing_list"): lambda u: (
                self.env["crm.relationship.score"]
                .search([("partner_id", "=", self.customer.id)])
                .with_user(u)
                .action_add_to_mailing_list()
            ),
        }

    def test_every_public_method_is_listed(self):
        """A new public method fails here until it is checked below."""
        found = set()
        for module in (score_model, *self._model_modules()):
            for cls in vars(module).values():
                if not (
                    inspect.isclass(cls)
                    and issubclass(cls, models.BaseModel)
                    and cls.__module__ == module.__name__
                ):
                    continue
                name = cls._name or cls._inherit
                for attr, value in vars(cls).items():
                    # api.private methods are refused by Odoo's RPC dispatch
                    if (
                        callable(value)
                        and not attr.startswith("_")
                        and not getattr(value, "_api_private", False)
                    ):
                        found.add((name, attr))
        self.assertEqual(found, set(PUBLIC_METHODS))
        self.assertEqual(set(self._calls()), set(PUBLIC_METHODS))

    def _model_modules(self):
        from ..models import (
            crm_relationship_score,
            crm_relationship_score_snapshot,
            res_company,
            res_config_settings,
            res_partner,
        )

        return (
            crm_relationship_score,
            crm_relationship_score_snapshot,
            res_company,
            res_config_settings,
            res_partner,
        )

    def _counts(self):
        return (
            self.Run.search_count([]),
            self.env["crm.relationship.score.snapshot"].search_count([]),
            self.company.relationship_score_requested,
        )

    def test_customers_and_plain_employees_are_refused(self):
        before = self._counts()
        for key, call in self._calls().items():
            for user in (self.public, self.portal, self.employee):
                with (
                    self.subTest(method=key, user=user.login),
                    self.assertRaises(AccessError),
                ):
                    call(user)
        self.assertEqual(self._counts(), before)

    def test_recomputation_is_for_administrators(self):
        before = self._counts()
        calls = self._calls()
        for key, group in PUBLIC_METHODS.items():
            for user in (self.salesman_own, self.salesman_all):
                with self.subTest(method=key, user=user.login):
                    if group == "manager":
                        with self.assertRaises(AccessError):
                            calls[key](user)
                    else:
                        self.assertEqual(
                            calls[key](user)["type"],
                            "ir.actions.client"
                            if key in MAILING_METHODS
                            else "ir.actions.act_window",
                        )
        self.assertEqual(self._counts(), before)
        with patch.object(score_model, "SYNC_RECOMPUTE_LIMIT", 0):
            with self.assertRaises(AccessError):
                self.Run.with_user(self.salesman_all).action_recompute(self.company)
        self.assertFalse(self.company.relationship_score_requested)

    def test_administrators_recompute_their_companies_only(self):
        other = self.env["res.company"].create({"name": "Other Tea Co"})
        before = self._counts()
        Run = self.Run.with_user(self.manager)
        for company in (other, other.id, 999999):
            with self.subTest(company=company), self.assertRaises(AccessError):
                Run.action_recompute(company)
        self.assertEqual(self._counts(), before)
        self.assertFalse(self.Run.search([("company_id", "=", other.id)]))
        action = Run.action_recompute(self.company.id)
        self.assertEqual(action["params"]["type"], "success")

    def test_segment_transitions_menu_is_for_relationship_users(self):
        server = self.env.ref(
            "crm_relationship_scoring.crm_relationship_score_snapshot_action_transitions_server"
        )
        self.assertEqual(
            server.groups_id,
            self.env.ref("crm_relationship.crm_relationship_group_user"),
        )
        with self.assertRaises(AccessError):
            server.with_user(self.employee).run()
        action = server.with_user(self.salesman_own).run()
        # the latest run of each company the user works in (the demo data may
        # have one of the main company too)
        latest = self.env["crm.relationship.score.run"].search(
            [("company_id", "in", (self.company | self.main_company).ids)],
            order="date desc, id desc",
        )
        expected = {
            run.company_id: run for run in reversed(latest) if run.state == "done"
        }
        self.assertIn(self.score_run, expected.values())
        self.assertEqual(
            sorted(action["domain"][0][2]), sorted(r.id for r in expected.values())
        )


class TestScoresHiddenFromCustomers(RpcScoringCase):
    """Hole 6 (scoring part): no score reaches a customer or a plain
    employee, not even the scores of the customer's own partner."""

    def test_no_score_field_is_readable(self):
        names = [
            *SCORE_FIELDS,
            "score_snapshot_ids",
            "score_explanation",
            "loyalty_explanation",
            "relationship_suggestion_ids",
        ]
        for user in (self.portal, self.employee):
            customer = self.customer.with_user(user)
            Partner = self.env["res.partner"].with_user(user)
            self.assertEqual(customer.read(["name"])[0]["id"], self.customer.id)
            self.assertFalse(set(names) & set(Partner.fields_get()))
            for name in names:
                with self.subTest(user=user.login, field=name):
                    with self.assertRaises(AccessError):
                        customer.read([name])
                    with self.assertRaises(AccessError):
                        Partner.search_read([("id", "=", customer.id)], [name])
            with self.assertRaises(AccessError):
                Partner.search([("clv_value", ">", 0)])
            # refused (the scores are not even a column of the partners)
            refused = False
            try:
                Partner.read_group([], ["clv_value:sum"], ["rfm_segment"])
            except (AccessError, ValueError):
                refused = True
            self.assertTrue(refused)
            for model in (
                "crm.relationship.score",
                "crm.relationship.score.run",
                "crm.relationship.score.snapshot",
            ):
                with self.assertRaises(AccessError):
                    self.env[model].with_user(user).search_read([], ["id"])


class TestFailingJob(RpcScoringCase):
    """Hole 12: a failing scoring job is reported where administrators look
    and the next run retries."""

    def _boom(self):
        return patch.object(
            ScoreJob,
            "evaluate",
            side_effect=RuntimeError("the engine ran out of memory"),
        )

    def test_failed_run_is_reported_then_retried(self):
        Failure = self.env["crm.relationship.job.failure"]
        self.Run.search([]).write({"date": "2020-01-01"})  # not scored today
        self._orders([(self.customer, 1, 50.0)])
        with self._boom():
            self.assertFalse(self.Run._cron_compute_scores())
        run = self.Run.search(
            [("company_id", "=", self.company.id), ("date", "=", self.today)]
        )
        self.assertEqual(run.state, "failed")
        self.assertIn("the engine ran out of memory", run.error_message)
        # the work of the failed run was rolled back
        self.env.invalidate_all()
        self.assertEqual(self.customer.rfm_frequency, 2)
        self.assertFalse(run.snapshot_ids)
        failure = Failure.search([("job", "=", SCORE_JOB)])
        self.assertEqual(len(failure), 1)
        self.assertEqual(failure.state, "failed")
        self.assertEqual(failure.name, "Relationship scores")
        self.assertIn("Scoring Tea Co", failure.error)
        self.assertIn("the engine ran out of memory", failure.error)
        self.assertTrue(
            failure.activity_ids.filtered(lambda a: a.user_id == self.manager),
            "every relationship administrator gets a to-do",
        )
        # administrators see the failed run, in the list and on the form
        runs = self.Run.with_user(self.manager).search_read(
            [("state", "=", "failed"), ("company_id", "=", self.company.id)],
            ["error_message"],
        )
        self.assertEqual([r["id"] for r in runs], run.ids)
        views = self.Run.with_user(self.manager).get_views(
            [(False, "list"), (False, "form")]
        )
        for view in ("list", "form"):
            self.assertIn('name="error_message"', views["views"][view]["arch"])
        # the next run retries the failed run of the day and resolves the failure
        runs = self.Run._cron_compute_scores()
        self.assertIn(run, runs)
        self.assertEqual(run.state, "done")
        self.assertFalse(run.error_message)
        self.assertEqual(failure.state, "resolved")
        self.assertFalse(failure.activity_ids)
        self.env.invalidate_all()
        self.assertEqual(self.customer.rfm_frequency, 3)
        self.assertEqual(self.customer.score_run_id, run)

    def test_a_failing_company_does_not_stop_the_others(self):
        second = self.env["res.company"].create({"name": "Second Tea Co"})
        buyer = self._customer("Second buyer", company_id=second.id)
        self._orders([(buyer, 5, 80.0)], company=second)
        original = ScoreJob.evaluate

        def fail_for_scoring_tea_co(job, company, *args):
            if company == self.company:
                raise RuntimeError("bad data")
            return original(job, company, *args)

        errors = {}
        with patch.object(ScoreJob, "evaluate", fail_for_scoring_tea_co):
            runs = self.Run._compute_scores(
                self.company | second, force=True, errors=errors
            )
        self.assertEqual(runs.company_id, second)
        self.assertEqual(runs.state, "done")
        self.assertEqual(list(errors), [self.company])
        self.assertEqual(errors[self.company], "bad data")
        self.assertTrue(buyer.score_date)
        self.env.invalidate_all()
        # the failed company was rolled back to its previous run
        self.assertEqual(self.score_run.state, "done")
        self.assertEqual(self.score_run.snapshot_ids, self.snapshot)

    def test_recompute_now_shows_the_error(self):
        Failure = self.env["crm.relationship.job.failure"]
        before = self._as_admin(self.customer, ["clv_value", "score_date"])
        with self._boom(), self.assertRaises(UserError) as raised:
            self.Run.with_user(self.manager).with_company(
                self.company
            ).action_recompute()
        self.assertIn("the engine ran out of memory", str(raised.exception))
        self.assertIn("Scoring Tea Co", str(raised.exception))
        self.assertEqual(
            self._as_admin(self.customer, ["clv_value", "score_date"]), before
        )
        # the error rolls the request back (as assertRaises does): the user has
        # seen the message, the previous run and its snapshots are intact
        self.assertEqual(self.score_run.state, "done")
        self.assertEqual(self.score_run.snapshot_ids, self.snapshot)
        self.assertFalse(Failure.search([("job", "=", SCORE_JOB)]))
        action = self.Run.with_user(self.manager).action_recompute(self.company)
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.score_run.state, "done")

    def test_settings_button_raises_the_error(self):
        admin = self.env.ref("base.user_admin")
        admin.company_ids |= self.company
        settings = (
            self.env["res.config.settings"]
            .with_user(admin)
            .with_company(self.company)
            .create({})
        )
        with self._boom(), self.assertRaises(UserError) as raised:
            settings.action_relationship_recompute_scores()
        self.assertIn("the engine ran out of memory", str(raised.exception))


class TestScoringAccessMatrix(AccessMatrixCase, TransactionCase):
    """ACL x record rules of the models of crm_relationship_scoring: runs and
    snapshots are written by the job only; relationship users (salespeople
    included) and administrators read them, nobody else."""

    ADDON = "crm_relationship_scoring"
    READ_ONLY = {
        "public": (NONE, NONE),
        "portal": (NONE, NONE),
        "employee": (NONE, NONE),
        "salesman_own": (R, R),
        "salesman_all": (R, R),
        "manager": (R, R),
    }
    MATRIX = {
        "crm.relationship.score.run": READ_ONLY,
        "crm.relationship.score.snapshot": READ_ONLY,
        "crm.relationship.score": READ_ONLY,
        "crm.relationship.product.affinity": READ_ONLY,
        "crm.relationship.product.suggestion": READ_ONLY,
        "crm.relationship.score.calibration": READ_ONLY,
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a day of its own: the demo data has a run of the main company today
        # (one run per company and day)
        company = cls.env.company
        day = fields.Date.to_date("2001-01-01")
        partner = cls.env["res.partner"].create({"name": "Matrix Teas"})
        cls.sample_run = cls.env["crm.relationship.score.run"].create(
            {"company_id": company.id, "date": day, "state": "done"}
        )
        cls.sample_snapshot = cls.env["crm.relationship.score.snapshot"].create(
            {
                "run_id": cls.sample_run.id,
                "partner_id": partner.id,
                "company_id": company.id,
                "date": day,
            }
        )
        cls.sample_score = cls.env["crm.relationship.score"].create(
            {
                "run_id": cls.sample_run.id,
                "partner_id": partner.id,
                "company_id": company.id,
                "rfm_segment": "champions",
            }
        )
        products = cls.env["product.product"].create(
            [{"name": "Matrix Teapot"}, {"name": "Matrix Cups"}]
        )
        cls.sample_affinity = cls.env["crm.relationship.product.affinity"].create(
            {
                "company_id": company.id,
                "product_id": products[0].id,
                "related_product_id": products[1].id,
                "order_count": 5,
                "support": 0.1,
                "confidence": 0.5,
                "lift": 2.0,
            }
        )
        cls.sample_calibration = cls.env["crm.relationship.score.calibration"].create(
            {"run_id": cls.sample_run.id, "bucket": 1, "customer_count": 3}
        )
        cls.sample_suggestion = cls.env["crm.relationship.product.suggestion"].create(
            {
                "company_id": company.id,
                "partner_id": partner.id,
                "product_id": products[1].id,
                "reason_product_id": products[0].id,
                "score": 0.5,
                "sequence": 1,
            }
        )

    def _matrix_samples(self):
        return {
            "crm.relationship.score.run": self.sample_run,
            "crm.relationship.score.snapshot": self.sample_snapshot,
            "crm.relationship.score": self.sample_score,
            "crm.relationship.product.affinity": self.sample_affinity,
            "crm.relationship.product.suggestion": self.sample_suggestion,
            "crm.relationship.score.calibration": self.sample_calibration,
        }
