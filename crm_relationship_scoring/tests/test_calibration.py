"""The holdout check of each scoring run (issue 17): stored on the run from
the order facts of the pass, switched off by the setting, told in words in
the reader's language, read by relationship users only."""

import numpy as np

from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from ..engine import calibration
from .common import DAYS_PER_MONTH, ScoringCase

HOLDOUT = 90


class TestCalibration(ScoringCase):
    """30 customers whose purchase days are known (``synthetic_plan``): the
    days before the cutoff (90 days ago) and those after it are counted by
    hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._synthetic_customers("Holdout tea")
        cls.company.relationship_score_holdout_days = HOLDOUT

    def _by_hand(self):
        """Calibration summaries and holdout purchase days from the plan
        (days ago, oldest first): the cutoff is day 90 ago, included in the
        calibration."""
        x, t_x, age, seen = [], [], [], []
        for days, _amounts in self.plan:
            before = [d for d in days if d >= HOLDOUT]
            if not before:
                continue
            x.append(len(before) - 1)
            t_x.append(before[0] - before[-1])
            age.append(before[0] - HOLDOUT)
            seen.append(len(days) - len(before))
        return [np.array(v, dtype=float) for v in (x, t_x, age, seen)]

    def test_run_stores_the_holdout_check(self):
        run = self._score()
        x, t_x, age, seen = self._by_hand()
        self.assertGreater(seen.sum(), 0, "the plan has purchases in the holdout")
        self.assertEqual(run.calibration_holdout_days, HOLDOUT)
        self.assertEqual(run.calibration_customer_count, len(x))
        self.assertEqual(run.calibration_actual, seen.sum())
        method = run.method
        self.assertEqual(run.calibration_method, method)
        reference = calibration.holdout_check(
            x,
            t_x,
            age,
            seen,
            HOLDOUT,
            method="auto" if method == "bgnbd_gamma_gamma" else method,
            min_customers=self.company.relationship_score_min_customers,
            time_step=DAYS_PER_MONTH,
        )
        self.assertEqual(reference.method, run.calibration_method)
        rows = run.calibration_ids.sorted("bucket")
        buckets = np.flatnonzero(reference.customers)
        self.assertEqual(rows.mapped("bucket"), buckets.tolist())
        for row, k in zip(rows, buckets, strict=True):
            mine = [d for d, x_k in zip(seen, x, strict=True) if min(x_k, 7) == k]
            self.assertEqual(row.customer_count, len(mine))
            # stored with the 3 digits of the fields
            self.assertAlmostEqual(
                row.actual_mean, sum(mine) / len(mine), delta=5e-4 + 1e-9
            )
            self.assertAlmostEqual(
                row.predicted_mean, reference.predicted_mean[k], delta=1e-3
            )
        # rounded to the digits of the fields (totals and gap: 1, error: 3)
        self.assertAlmostEqual(
            run.calibration_predicted, reference.predicted_total, delta=0.051
        )
        self.assertAlmostEqual(run.calibration_mae, reference.mae, delta=6e-4)
        self.assertAlmostEqual(
            run.calibration_gap, 100 * reference.relative_gap, delta=0.051
        )
        self.assertGreaterEqual(run.calibration_time, 0.0)
        self.assertIn(f"in the last {HOLDOUT} days", run.calibration_verdict)
        chart = str(run.calibration_chart)
        self.assertIn("Predicted purchases per customer", chart)
        self.assertIn("repeat purchases", chart)

    def test_a_recompute_replaces_the_rows(self):
        run = self._score()
        rows = run.calibration_ids
        self.assertTrue(rows)
        again = self._score(force=True)
        self.assertEqual(again, run)
        self.assertFalse(rows.exists())
        self.assertEqual(len(again.calibration_ids), len(rows))

    def test_zero_days_turns_the_check_off(self):
        self.company.relationship_score_holdout_days = 0
        run = self._score()
        self.assertEqual(run.state, "done")
        self.assertFalse(run.calibration_method)
        self.assertFalse(run.calibration_ids)
        self.assertEqual(run.calibration_holdout_days, 0)
        self.assertFalse(run.calibration_verdict)
        self.assertFalse(run.calibration_chart)
        # the setting is offered in the settings, on the current company
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertEqual(settings.relationship_score_holdout_days, 0)

    def test_verdict_in_the_reader_language(self):
        run = self.Run.create(
            {
                "company_id": self.company.id,
                "date": "2001-02-03",
                "state": "done",
                "calibration_method": "bgnbd_gamma_gamma",
                "calibration_holdout_days": 90,
                "calibration_predicted": 1204.0,
                "calibration_actual": 1171.0,
                "calibration_gap": 100 * (1171 / 1204 - 1),
            }
        )
        self.assertEqual(
            run.with_context(lang="en_US").calibration_verdict,
            "The model predicted 1,204 purchases in the last 90 days; customers "
            "made 1,171 (\N{MINUS SIGN}2.7\N{NO-BREAK SPACE}%).",
        )
        self.env["res.lang"]._activate_lang("fr_FR")
        french = run.with_context(lang="fr_FR").calibration_verdict
        self.assertNotIn("1,204", french)
        self.assertIn("2,7", french)
        run.calibration_predicted = 0.0
        self.assertIn(
            "predicted no purchase", run.with_context(lang="en_US").calibration_verdict
        )
        run.write({"calibration_predicted": 1000.0, "calibration_gap": 17.1})
        self.assertIn("(+17.1", run.calibration_verdict)


class TestCalibrationAccess(ScoringCase):
    """The rows of a holdout check are read like their run: relationship
    users (salespeople included) of the run's company, nobody else; nobody
    writes them over RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._synthetic_customers("Holdout access")
        cls.score_run = cls.Run._compute_scores(cls.company, today=cls.today)
        cls.rows = cls.score_run.calibration_ids
        companies = [(6, 0, (cls.company | cls.main_company).ids)]
        cls.portal = new_test_user(
            cls.env, login="calibration_portal", groups="base.group_portal"
        )
        cls.employee = new_test_user(
            cls.env,
            login="calibration_employee",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=companies,
        )
        cls.other_company_salesman = new_test_user(
            cls.env,
            login="calibration_other_company",
            groups="sales_team.group_sale_salesman",
            company_id=cls.main_company.id,
            company_ids=[(6, 0, cls.main_company.ids)],
        )

    def test_salesperson_reads_the_rows(self):
        self.assertTrue(self.rows)
        rows = self.rows.with_user(self.salesman)
        self.assertEqual(
            rows.read(["customer_count"])[0]["customer_count"],
            self.rows[0].customer_count,
        )
        run = self.score_run.with_user(self.salesman)
        self.assertEqual(run.calibration_ids, self.rows)
        self.assertTrue(run.calibration_verdict)
        self.assertTrue(run.calibration_chart)

    def test_portal_and_plain_employee_cannot_read(self):
        for user in (self.portal, self.employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.rows.with_user(user).read(["customer_count"])
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["crm.relationship.score.calibration"].with_user(
                    user
                ).search_count([])

    def test_other_company_sees_nothing(self):
        Rows = self.env["crm.relationship.score.calibration"]
        self.assertFalse(
            Rows.with_user(self.other_company_salesman).search(
                [("id", "in", self.rows.ids)]
            )
        )
        with self.assertRaises(AccessError):
            self.rows.with_user(self.other_company_salesman).read(["actual_mean"])

    def test_nobody_writes_the_check(self):
        before = self.rows.read(["actual_mean", "predicted_mean"])
        manager = new_test_user(
            self.env,
            login="calibration_manager",
            groups="crm_relationship.crm_relationship_group_manager",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        for user in (self.salesman, manager):
            rows = self.rows.with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    rows.write({"actual_mean": 99.0})
                with self.assertRaises(AccessError):
                    rows.unlink()
                with self.assertRaises(AccessError):
                    self.env["crm.relationship.score.calibration"].with_user(
                        user
                    ).create({"run_id": self.score_run.id, "bucket": 9})
                with self.assertRaises(AccessError):
                    self.score_run.with_user(user).write({"calibration_gap": 0.0})
        self.env.invalidate_all()
        self.assertEqual(self.rows.read(["actual_mean", "predicted_mean"]), before)
