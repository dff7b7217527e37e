import time
from datetime import timedelta
from unittest.mock import patch

import numpy as np

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from odoo.addons.crm_relationship.models import (
    crm_relationship_job_failure as job_failure,
)

from ..engine import churn, clv, rfm
from ..models import crm_relationship_score_run as score_model
from ..models import score_job
from .common import ScoringCase


class TestScoringRun(ScoringCase):
    """The whole job on 30 customers whose purchases are known in advance."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._synthetic_customers("Tea lover")

    def _reference(self):
        """Engine results on arrays built by hand from the plan."""
        days = [d for d, _a in self.plan]
        amounts = [a for _d, a in self.plan]
        frequency = np.array([len(d) - 1 for d in days], float)
        recency = np.array([d[0] - d[-1] for d in days], float)
        age = np.array([d[0] for d in days], float)
        monetary = np.array(
            [np.mean(a[1:]) if len(a) > 1 else a[0] for a in amounts], float
        )
        scores = clv.score_customers(
            frequency, recency, age, monetary, **self._engine_settings()
        )
        net = np.array([sum(a) for a in amounts], float)
        r, f, m = rfm.rfm_scores(
            np.array([d[-1] for d in days], float),
            np.array([len(d) for d in days], float),
            net,
        )
        return {
            "scores": scores,
            "r": r,
            "f": f,
            "m": m,
            "segment": rfm.rfm_segments(r, f, m),
            "risk": churn.churn_risk(scores.p_alive),
            "net": net,
            "gap": np.divide(
                recency, frequency, out=np.zeros(len(days)), where=frequency > 0
            ),
        }

    def test_scores_equal_an_independent_reference(self):
        # staged 4 customers per COPY (a million at a time would not fit a
        # worker's memory), written 7 per batch
        with patch.object(score_job, "STAGE_CHUNK", 4):
            run = self._score(batch_size=7)
        ref = self._reference()
        scores = ref["scores"]
        self.assertEqual(scores.method, clv.METHOD_MODEL, scores.reason)
        self.assertEqual(run.method, clv.METHOD_MODEL)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.customer_count, 30)
        self.assertEqual(run.repeat_customer_count, 20)
        self.assertAlmostEqual(run.param_r, scores.bgnbd.r, places=6)
        self.assertAlmostEqual(run.param_alpha, scores.bgnbd.alpha, places=4)
        self.assertAlmostEqual(run.param_q, scores.gamma_gamma.q, places=6)
        self.assertAlmostEqual(run.log_likelihood, scores.bgnbd.log_likelihood, 3)
        self.assertAlmostEqual(run.total_clv, scores.clv.sum(), places=2)
        levels = churn.risk_level(ref["risk"], (0.3, 0.6))
        for i, customer in enumerate(self.customers):
            with self.subTest(customer=customer.name):
                self.assertEqual(customer.score_run_id, run)
                self.assertEqual(customer.score_date, self.today)
                self.assertEqual(customer.clv_method, clv.METHOD_MODEL)
                self.assertAlmostEqual(customer.clv_value, scores.clv[i], delta=0.01)
                self.assertAlmostEqual(customer.p_alive, scores.p_alive[i], delta=1e-4)
                self.assertAlmostEqual(
                    customer.expected_purchases,
                    scores.expected_purchases[i],
                    delta=0.01,
                )
                self.assertAlmostEqual(customer.churn_risk, ref["risk"][i], delta=1e-4)
                self.assertEqual(customer.churn_risk_level, levels[i])
                self.assertAlmostEqual(
                    customer.value_at_risk, scores.clv[i] * ref["risk"][i], delta=0.01
                )
                self.assertEqual(
                    (customer.rfm_r_score, customer.rfm_f_score, customer.rfm_m_score),
                    (ref["r"][i], ref["f"][i], ref["m"][i]),
                )
                self.assertEqual(
                    customer.rfm_code, f"{ref['r'][i]}{ref['f'][i]}{ref['m'][i]}"
                )
                self.assertEqual(customer.rfm_segment, ref["segment"][i])
                self.assertAlmostEqual(customer.rfm_monetary, ref["net"][i], places=2)
                self.assertEqual(customer.rfm_frequency, len(self.plan[i][0]))
                self.assertEqual(customer.rfm_recency_days, self.plan[i][0][-1])
                self.assertAlmostEqual(customer.purchase_gap_days, ref["gap"][i], 1)
                # no complaint: health = (40 RFM + 40 P(alive) + 20 x 1) / 100
                rfm_part = (ref["r"][i] + ref["f"][i] + ref["m"][i] - 3) / 12
                health = 40 * rfm_part + 40 * scores.p_alive[i] + 20
                self.assertAlmostEqual(customer.health_score, health, delta=0.051)
        snapshots = run.snapshot_ids
        self.assertEqual(len(snapshots), 30)
        self.assertEqual(snapshots.partner_id, self.customers)

    def test_margin_and_settings_reach_the_engine(self):
        self.company.write(
            {
                "relationship_score_margin": 40.0,
                "relationship_score_horizon_months": 24,
                "relationship_score_discount_rate": 0.0,
            }
        )
        self._score()
        scores = clv.score_customers(
            np.array([len(d) - 1 for d, _a in self.plan], float),
            np.array([d[0] - d[-1] for d, _a in self.plan], float),
            np.array([d[0] for d, _a in self.plan], float),
            np.array(
                [np.mean(a[1:]) if len(a) > 1 else a[0] for _d, a in self.plan], float
            ),
            horizon=24 * 365.25 / 12,
            discount_rate=0.0,
            time_step=365.25 / 12,
        )
        for i in (0, 7, 19):
            self.assertAlmostEqual(
                self.customers[i].clv_value, 0.4 * scores.clv[i], delta=0.01
            )

    def test_few_customers_use_the_heuristic(self):
        self.company.relationship_score_min_customers = 31
        run = self._score()
        self.assertEqual(run.method, clv.METHOD_HEURISTIC)
        self.assertIn("31", run.reason)
        self.assertFalse(run.param_r)
        self.assertEqual(set(self.customers.mapped("clv_method")), {"heuristic"})

    def _state(self):
        fields_ = [
            "rfm_code",
            "rfm_segment",
            "clv_value",
            "p_alive",
            "churn_risk",
            "health_score",
            "score_explanation",
            "score_run_id",
            "relationship_stage_id",
            "value_tier_id",
        ]
        self.env.invalidate_all()
        return self.customers.read(fields_)

    def test_rerun_changes_nothing(self):
        run = self._score(batch_size=8)
        before = self._state()
        history = self.env["crm.relationship.stage.history"].search_count(
            [("partner_id", "in", self.customers.ids)]
        )
        activities = self.env["mail.activity"].search_count(
            [("res_model", "=", "res.partner"), ("res_id", "in", self.customers.ids)]
        )
        self.assertEqual(self._score(), run)  # already done today: skipped
        self.assertEqual(self._score(force=True, batch_size=11), run)
        self.assertEqual(self._state(), before)
        self.assertEqual(run.snapshot_count, 30)
        self.assertEqual(run.state, "done")
        self.assertEqual(
            self.Run.search_count([("company_id", "=", self.company.id)]), 1
        )
        self.assertEqual(
            self.env["crm.relationship.stage.history"].search_count(
                [("partner_id", "in", self.customers.ids)]
            ),
            history,
        )
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.customers.ids),
                ]
            ),
            activities,
        )

    def test_crash_and_resume(self):
        Run = score_job.ScoreJob
        original = Run.write_batch
        calls = []

        def crash_on_second_batch(run_self, *args, **kwargs):
            calls.append(len(args[4]))
            if len(calls) == 2:
                raise RuntimeError("simulated crash")
            return original(run_self, *args, **kwargs)

        crashed = False
        with patch.object(Run, "write_batch", crash_on_second_batch):
            try:
                self._score(batch_size=12)
            except RuntimeError:
                crashed = True
        self.assertTrue(crashed)
        run = self.Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(run.state, "running")
        self.env.invalidate_all()
        scored = self.customers.filtered("score_date")
        # the first batch is complete and consistent: scores and statistics;
        # the run knows where to resume, the partners carry no stamp, and the
        # history is written when the run ends
        self.assertEqual(len(scored), 12)
        self.assertEqual(run.last_partner_id, max(scored.ids))
        self.assertTrue(all(scored.mapped("rfm_segment")))
        self.assertTrue(
            all(scored.with_company(self.company).mapped("relationship_order_count"))
        )
        self.assertFalse(run.snapshot_ids)
        self.assertNotIn("relationship_rules_date", self.env["res.partner"]._fields)

        calls.clear()

        def count_batches(run_self, *args, **kwargs):
            calls.append(len(args[4]))
            return original(run_self, *args, **kwargs)

        with patch.object(Run, "write_batch", count_batches):
            self.assertEqual(self._score(batch_size=12), run)
        self.assertEqual(calls, [12, 6])  # only the 18 customers still to do
        self.assertEqual(run.state, "done")
        self.assertEqual(run.snapshot_count, 30)
        ref = self._reference()
        self.env.invalidate_all()
        for i, customer in enumerate(self.customers):
            self.assertAlmostEqual(customer.clv_value, ref["scores"].clv[i], delta=0.01)
            self.assertEqual(customer.rfm_segment, ref["segment"][i])

    def test_time_boxed_slices_equal_one_uninterrupted_run(self):
        """Past its deadline a call stops after a whole batch; the next calls
        resume the run; the result is exactly that of one uninterrupted run
        (issue 13, item 9)."""
        Run = score_job.ScoreJob
        original = Run.write_batch
        calls = []

        def count_batches(run_self, *args, **kwargs):
            calls.append(len(args[4]))
            return original(run_self, *args, **kwargs)

        past = time.monotonic() - 1  # every call stops after its first batch
        with patch.object(Run, "write_batch", count_batches):
            for left in (18, 6):
                progress = {}
                run = self._score(batch_size=12, deadline=past, progress=progress)
                self.assertEqual(run.state, "running")
                self.assertEqual(progress["unfinished"], {self.company})
                self.assertEqual(progress["remaining"], left)
                # a slice never splits a customer: whole batches are written
                self.env.invalidate_all()
                scored = self.customers.filtered("score_date")
                self.assertEqual(len(scored), 30 - left)
                self.assertEqual(run.last_partner_id, max(scored.ids))
            progress = {}
            self.assertEqual(
                self._score(batch_size=12, deadline=past, progress=progress), run
            )
        self.assertEqual(calls, [12, 12, 6])
        self.assertFalse(progress["unfinished"])
        self.assertEqual(run.state, "done")
        self.assertEqual(run.snapshot_count, 30)
        fields_ = ["clv_value", "p_alive", "churn_risk", "health_score", "rfm_code"]
        fields_ += ["rfm_segment", "expected_purchases", "score_explanation"]
        self.env.invalidate_all()
        sliced = self.customers.read(fields_)
        self._score(force=True)  # one uninterrupted call
        self.env.invalidate_all()
        self.assertEqual(self.customers.read(fields_), sliced)

    def test_history_goes_on_in_the_next_call(self):
        """Out of time within the history (recorded by ranges of customer
        ids), a call stops after a whole range; the next call records the
        rest, and the history is that of one uninterrupted run."""
        past = time.monotonic() - 1
        span = max(self.customers.ids) - min(self.customers.ids) + 1
        with patch.object(score_job, "HISTORY_RANGE", span // 3 + 1):
            calls = 0
            run = self.Run.browse()
            while not run or run.state != "done":
                progress = {}
                run = self._score(batch_size=100, deadline=past, progress=progress)
                calls += 1
                self.assertLess(calls, 10)
        self.assertGreater(calls, 2)  # three ranges, one per call after the first
        Snapshot = self.env["crm.relationship.score.snapshot"]
        sliced = Snapshot.search([("run_id", "=", run.id)])
        self.assertEqual(sliced.partner_id, self.customers)
        self.assertEqual(run.history_count, 30)
        values = sorted(sliced.mapped(lambda s: (s.partner_id.id, s.rfm_segment)))
        # the same day again, in one call: nothing more is due
        self.assertEqual(self._score(force=True), run)
        self.assertEqual(Snapshot.search([("run_id", "=", run.id)]), sliced)
        self.assertEqual(
            sorted(sliced.mapped(lambda s: (s.partner_id.id, s.rfm_segment))), values
        )

    def test_scheduled_action_asks_to_run_again(self):
        """Out of budget, the scheduled action reports the work left and
        triggers itself, whatever its interval."""
        self.env["ir.config_parameter"].set_param(
            "crm_relationship.job_time_budget", "0.000001"
        )
        cron = self.env.ref("crm_relationship_scoring.ir_cron_relationship_scores")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        # as Odoo's cron loop calls it: a progress record in the context
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        Run = self.Run.with_context(ir_cron_progress_id=progress.id)
        job_failure._passes.clear()
        Run._cron_compute_scores(batch_size=12)
        self.assertGreater(progress.done, 0)
        self.assertGreater(progress.remaining, 0)
        self.assertGreater(Trigger.search_count([("cron_id", "=", cron.id)]), before)
        run = self.Run.search(
            [("company_id", "=", self.company.id), ("date", "=", self.today)]
        )
        self.assertEqual(run.state, "running")
        # Odoo calls the job again at once within the same pass: the pass has
        # used its budget, nothing is done (the trigger starts the next pass)
        done = run.snapshot_count
        self.assertIsNone(Run._cron_compute_scores(batch_size=12))
        self.assertEqual(run.snapshot_count, done)
        self.assertEqual((progress.done, progress.remaining), (0, 1))
        # the next passes (the trigger) finish the run
        for _call in range(10):
            if run.state == "done" and not self.Run.search_count(
                [("state", "=", "running")]
            ):
                break
            job_failure._passes.clear()  # a new pass of the cron worker
            Run._cron_compute_scores(batch_size=12)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.snapshot_count, 30)

    def test_explanation_contains_the_numbers(self):
        self._score()
        i = next(k for k, (d, _a) in enumerate(self.plan) if len(d) > 2)
        customer = self.customers[i]
        days, amounts = self.plan[i]
        text = customer.score_explanation
        gap = round((days[0] - days[-1]) / (len(days) - 1))
        self.assertIn(f"Last order {days[-1]} days ago", text)
        self.assertIn(f"(R {customer.rfm_r_score}/5, usual gap {gap} days)", text)
        self.assertIn(f"{len(days)} orders (F {customer.rfm_f_score}/5)", text)
        self.assertIn(f"{sum(amounts):,}", text)
        self.assertIn(self.company.currency_id.symbol, text)
        self.assertIn(f"(M {customer.rfm_m_score}/5)", text)
        self.assertIn(f"{round(customer.p_alive * 100)} % likely still active", text)
        once = next(k for k, (d, _a) in enumerate(self.plan) if len(d) == 1)
        self.assertIn("1 order (F", self.customers[once].score_explanation)

    def test_explanation_follows_the_reader_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self._score()
        # no French translation is shipped: the template stays English but
        # the numbers follow the French format (no comma grouping)
        i = max(range(30), key=lambda k: sum(self.plan[k][1]))
        total = sum(self.plan[i][1])
        self.assertGreaterEqual(total, 1000)
        customer = self.customers[i]
        self.assertIn(
            f"{total:,}", customer.with_context(lang="en_US").score_explanation
        )
        self.assertNotIn(
            f"{total:,}", customer.with_context(lang="fr_FR").score_explanation
        )

    def test_explanation_is_translated_for_the_reader(self):
        """A salesperson working in 简体中文 reads the explanation in Chinese,
        an English-speaking colleague in English: rendered when read, from
        the same run (issue 13, item 3)."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self._score()
        i = next(k for k, (d, _a) in enumerate(self.plan) if len(d) > 2)
        days = self.plan[i][0]
        chinese = new_test_user(
            self.env,
            login="score_reader_zh",
            groups="sales_team.group_sale_salesman",
            lang="zh_CN",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        # the web client's context carries the user's language
        customer = self.customers[i].with_user(chinese).with_context(lang=chinese.lang)
        text = customer.score_explanation
        self.assertIn(f"上次下单在 {days[-1]} 天前", text)
        self.assertIn(f"{len(days)} 个订单", text)
        self.assertIn("的可能仍然活跃", text)
        english = self.customers[i].with_context(lang="en_US").score_explanation
        self.assertIn(f"Last order {days[-1]} days ago", english)
        # nothing of it is stored on the customer
        self.assertFalse(self.env["res.partner"]._fields["score_explanation"].store)

    def test_complaints_and_extra_inputs_lower_the_health(self):
        self._score()
        customer = self.customers[0]
        healthy = customer.health_score
        complaint = self.env["crm.relationship.complaint"].create(
            {
                "partner_id": customer.id,
                "subject": "Stale tea",
                "company_id": self.company.id,
            }
        )
        self.assertEqual(complaint.state, "new")
        self._score(force=True)
        # one open complaint and a complaint rate of 1 / orders of the year
        orders_12m = sum(1 for d in self.plan[0][0] if d < 365)
        rate = min(1 / orders_12m, 1.0) if orders_12m else 1.0
        self.assertAlmostEqual(
            customer.health_score, healthy - 20 + 20 * (1 - rate) / 2, delta=0.11
        )
        Partner = type(self.Partner)

        def satisfaction(partner_self, partners):
            return {"satisfaction": (100.0, {customer.id: 0.0})}

        before = self.customers[1].health_score
        with patch.object(Partner, "_relationship_health_inputs", satisfaction):
            self._score(force=True)
        self.assertAlmostEqual(self.customers[1].health_score, before, delta=0.01)
        # weights 40 + 40 + 20 + 100: the unhappy customer halves its health
        self.assertAlmostEqual(
            customer.health_score,
            (healthy - 20 + 20 * (1 - rate) / 2) / 2,
            delta=0.11,
        )

    def test_history_retention_and_transitions(self):
        """History rows outlive the pruned runs; a row's previous segment is
        the segment of the customer's previous row."""
        self.company.relationship_score_keep_runs = 2
        runs = [
            self._score(today=self.today - timedelta(days=days)) for days in (60, 30, 0)
        ]
        remaining = self.Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(remaining, runs[1] | runs[2])
        self.assertFalse(runs[0].exists())
        Snapshot = self.env["crm.relationship.score.snapshot"]
        history = Snapshot.search(
            [("partner_id", "in", self.customers.ids)], order="date, id"
        )
        # the first run recorded every customer, its run is gone
        first = history.filtered(lambda s: s.date == self.today - timedelta(days=60))
        self.assertEqual(first.partner_id, self.customers)
        self.assertFalse(first.run_id)
        last = {}
        for snapshot in history:
            self.assertEqual(
                snapshot.previous_segment, last.get(snapshot.partner_id, False)
            )
            last[snapshot.partner_id] = snapshot.rfm_segment
        for snapshot in runs[2].snapshot_ids:
            self.assertEqual(snapshot.value_tier_id, snapshot.partner_id.value_tier_id)
        self.assertTrue(any(runs[2].snapshot_ids.mapped("previous_segment")))
        action = self.Run.with_company(self.company).action_open_segment_transitions()
        self.assertEqual(action["domain"], [("run_id", "in", runs[2].ids)])
        trend = self.customers[0].action_view_score_trend()
        self.assertEqual(
            Snapshot.search(trend["domain"]),
            history.filtered(lambda s: s.partner_id == self.customers[0]),
        )
        # the history of the months set in the settings is kept
        self.company.relationship_score_history_months = 1
        self._score(today=self.today + timedelta(days=1))
        self.assertFalse(
            Snapshot.search_count(
                [
                    ("partner_id", "in", self.customers.ids),
                    ("date", "<", self.today - timedelta(days=31)),
                ]
            )
        )

    def _row_versions(self, model, ids):
        """Physical versions (ctid) of rows: an UPDATE, even one that leaves
        every value equal, gives a row a new one."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id, ctid::text FROM %s WHERE id = ANY(%s)",
                SQL.identifier(self.env[model]._table),
                list(ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def test_first_run_places_each_customer_with_its_figures(self):
        """Customers of before the rules (orders, no figures, no stage, no
        tier): the first run writes each one's order figures, first stage
        and first tier (planned before the batches, as the end of the run
        ranks them) in one new version of its row, and records one placement
        row each (no move, no transition, no chatter note)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET relationship_stage_id = NULL, "
                "value_tier_id = NULL, relationship_order_count = NULL, "
                "relationship_revenue_12m = NULL, "
                "relationship_first_order_date = NULL, "
                "relationship_last_order_date = NULL WHERE id = ANY(%s)",
                self.customers.ids,
            )
        )
        # a customer whose tier a manager keeps empty
        locked = self.customers[0]
        locked.sudo().value_tier_locked = True
        self.customers.relationship_history_ids.unlink()
        Transition = self.env["crm.relationship.transition"]
        transitions = Transition.search([("partner_id", "in", self.customers.ids)])
        self.env.invalidate_all()
        self.env.cr.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables "
            "WHERE relid = 'res_partner'::regclass"
        )
        (before,) = self.env.cr.fetchone()
        run = self._score()
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables "
            "WHERE relid = 'res_partner'::regclass"
        )
        (after,) = self.env.cr.fetchone()
        self.assertEqual(run.state, "done")
        self.assertEqual(after - before, len(self.customers))
        tiered = self.customers.filtered("value_tier_id")
        self.assertGreater(len(tiered), 5)
        self.assertGreater(len(tiered.mapped("value_tier_id")), 1)
        # the planned tiers are those of the ranking: ranking again moves none
        Partner = self.env["res.partner"].with_company(self.company)
        self.assertEqual(Partner._relationship_assign_tiers(), {})
        self.assertFalse(locked.value_tier_id)
        self.assertFalse(
            self.env["mail.tracking.value"].search_count(
                [
                    ("mail_message_id.model", "=", "res.partner"),
                    ("mail_message_id.res_id", "in", self.customers.ids),
                    ("field_id.name", "in", ("value_tier_id", "relationship_stage_id")),
                    ("create_date", ">=", run.date_start),
                ]
            )
        )
        self.assertTrue(all(self.customers.mapped("relationship_stage_id")))
        self.assertEqual(
            self.customers.with_company(self.company).mapped(
                "relationship_order_count"
            ),
            [len(days) for days, _amounts in self.plan],
        )
        history = self.customers.relationship_history_ids
        self.assertEqual(history.partner_id, self.customers)
        self.assertEqual(len(history), len(self.customers))
        self.assertFalse(history.from_stage_id)
        self.assertFalse(
            Transition.search(
                [
                    ("partner_id", "in", self.customers.ids),
                    ("kind", "in", ("stage", "tier")),
                ]
            )
            - transitions
        )

    def test_a_quiet_night_writes_no_partner_and_no_history(self):
        """The next night, without new orders, rewrites the score rows whose
        figures changed but no partner row and records no history row."""
        self._score(today=self.today - timedelta(days=1))
        partners = self._row_versions("res.partner", self.customers.ids)
        Snapshot = self.env["crm.relationship.score.snapshot"]
        history = Snapshot.search_count([("partner_id", "in", self.customers.ids)])
        self.assertEqual(history, 30)
        stages = self.customers.mapped("relationship_stage_id")
        run = self._score()
        self.assertEqual(run.state, "done")
        self.assertEqual(self.customers.mapped("relationship_stage_id"), stages)
        self.assertEqual(
            self._row_versions("res.partner", self.customers.ids), partners
        )
        self.assertEqual(run.history_count, 0)
        self.assertEqual(
            Snapshot.search_count([("partner_id", "in", self.customers.ids)]), history
        )
        # a third night that changes nothing at all leaves the score rows alone
        scores = self.env["crm.relationship.score"].search(
            [("partner_id", "in", self.customers.ids)]
        )
        versions = self._row_versions("crm.relationship.score", scores.ids)
        self._score(force=True)
        self.assertEqual(
            self._row_versions("crm.relationship.score", scores.ids), versions
        )
        # the days since the last order follow the calendar when read
        customer = self.customers[0].with_context(tz="UTC")
        self.assertEqual(
            customer.rfm_recency_days,
            (
                fields.Date.context_today(customer)
                - scores.filtered(
                    lambda s: s.partner_id == self.customers[0]
                ).last_purchase_date
            ).days,
        )

    def test_scores_are_searchable_on_the_partner(self):
        self._score()
        Partner = self.Partner.with_company(self.company)
        champions = self.customers.filtered(lambda c: c.rfm_segment == "champions")
        self.assertTrue(champions)
        found = Partner.search(
            [("id", "in", self.customers.ids), ("rfm_segment", "=", "champions")]
        )
        self.assertEqual(found, champions)
        newcomer = self._customer("Not Scored Yet")
        everyone = (self.customers | newcomer).ids
        self.assertEqual(
            Partner.search([("id", "in", everyone), ("rfm_segment", "=", False)]),
            newcomer,
        )
        self.assertEqual(
            Partner.search(
                [("id", "in", everyone), ("rfm_segment", "!=", "champions")]
            ),
            (self.customers - champions) | newcomer,
        )
        self.assertEqual(
            Partner.search([("id", "in", everyone), ("score_date", "!=", False)]),
            self.customers,
        )
        rich = self.customers.filtered(lambda c: c.clv_value > 50)
        self.assertEqual(
            Partner.search([("id", "in", everyone), ("clv_value", ">", 50)]), rich
        )
        recent = self.customers.filtered(lambda c: c.rfm_recency_days <= 30)
        self.assertEqual(
            Partner.search([("id", "in", everyone), ("rfm_recency_days", "<=", 30)]),
            recent,
        )
        with self.assertRaises(UserError):
            Partner.search([("rfm_segment", "child_of", "champions")])


class TestScoringLock(ScoringCase):
    def test_second_concurrent_run_returns_without_work(self):
        from odoo.sql_db import db_connect

        from ..models import crm_relationship_score_run as score_model
        from ..models.crm_relationship_score_run import SCORE_LOCK_KEY

        customer = self._customer("Lock Step Teas")
        self._orders([(customer, 3, 10.0)])
        with (
            db_connect(self.env.cr.dbname).cursor() as other,
            patch.object(score_model._logger, "info") as log,
        ):
            other.execute("SELECT pg_try_advisory_xact_lock(%s)", [SCORE_LOCK_KEY])
            self.assertTrue(other.fetchone()[0])
            self.assertIsNone(self._score())
            other.rollback()
        log.assert_called_once()
        self.assertIn("in progress", log.call_args[0][0])
        self.assertFalse(self.Run.search([("company_id", "=", self.company.id)]))
        self.assertFalse(customer.score_date)
        run = self._score()
        self.assertEqual(run.state, "done")
        self.assertTrue(customer.score_date)


class TestAtRisk(ScoringCase):
    """Few customers: the heuristic, activities, stages and tiers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_owner = new_test_user(
            cls.env,
            login="scoring_other_owner",
            groups="sales_team.group_sale_salesman",
            name="Other Owner",
            company_id=cls.company.id,
            company_ids=[(6, 0, (cls.company | cls.main_company).ids)],
        )
        # bought a lot, every 20 days, then went silent for 300 days
        cls.whale = cls._customer("Silent Whale")
        # one purchase day every 30 days, but fewer and fewer lately
        cls.fading = cls._customer("Fading Friend")
        cls.regulars = cls.Partner.browse()
        for i in range(5):
            cls.regulars |= cls._customer(f"Regular {i}")
        cls._orders(
            [(cls.whale, 400 - 20 * k, 5000.0) for k in range(6)]
            + [(cls.fading, 200 - 30 * k, 100.0) for k in range(6)]
            + [(c, d, 200.0) for c in cls.regulars for d in (120, 90, 60, 30, 4)]
        )

    def _todo(self, partners):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref("mail.mail_activity_data_todo").id,
                ),
                ("summary", "=", "Valuable customer at risk"),
            ]
        )

    def test_valuable_customers_at_risk_get_one_activity(self):
        run = self._score()
        self.assertEqual(run.method, clv.METHOD_HEURISTIC)
        self.assertEqual(self.whale.churn_risk_level, "high")
        self.assertEqual(self.regulars.mapped("churn_risk_level"), ["low"] * 5)
        activity = self._todo(self.whale | self.fading | self.regulars)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.res_id, self.whale.id)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.summary, "Valuable customer at risk")
        self.assertEqual(run.activity_count, 1)
        self._score(force=True)
        self._score(force=True)
        self.assertEqual(self._todo(self.whale), activity)
        # done: the next run warns again
        activity.action_feedback(feedback="Called, they moved to a competitor")
        self._score(force=True)
        self.assertEqual(len(self._todo(self.whale)), 1)
        self.assertNotEqual(self._todo(self.whale), activity)

    def test_the_owner_is_the_relationship_owner(self):
        self.whale.relationship_owner_id = self.other_owner
        self._score()
        self.assertEqual(self._todo(self.whale).user_id, self.other_owner)

    def test_thresholds_come_from_the_settings(self):
        self.company.relationship_score_risk_high = 100.0
        self._score()
        self.assertFalse(self._todo(self.whale))
        self.company.write(
            {
                "relationship_score_risk_high": 60.0,
                "relationship_score_high_value_percentile": 1.0,
            }
        )
        # the whale has the highest revenue: still in the top 1 %
        self._score(force=True)
        self.assertTrue(self._todo(self.whale))

    def test_value_at_risk_orders_the_at_risk_list(self):
        self._score()
        action = self.env.ref("crm_relationship_scoring.res_partner_action_at_risk")
        self.assertIn("('churn_risk_level', '=', 'high')", action.domain)
        self.assertEqual(action.res_model, "crm.relationship.score")
        arch = action.view_ids.filtered(lambda v: v.view_mode == "list").view_id.arch_db
        self.assertIn('default_order="value_at_risk desc"', arch)
        at_risk = self.Partner.search(
            safe_eval(action.domain)
            + [("id", "in", (self.whale | self.fading | self.regulars).ids)]
        )
        self.assertEqual(at_risk, self.whale | self.fading)
        # lifetime value x churn risk
        for partner in at_risk:
            self.assertAlmostEqual(
                partner.value_at_risk,
                partner.clv_value * partner.churn_risk,
                delta=0.01,
            )

    def test_low_p_alive_moves_stable_customers_to_decline(self):
        stage = self.env["crm.relationship.stage"]._stage_for_phase
        self.fading._relationship_apply_rules(self.today)
        self.assertEqual(self.fading.relationship_stage_id, stage("stability"))
        self._score()
        # (150 / 200) ** 5 = 24 % < 30 %
        self.assertAlmostEqual(self.fading.p_alive, 0.75**5, places=4)
        self.assertEqual(self.fading.relationship_stage_id, stage("decline"))
        self.assertEqual(self.regulars[0].relationship_stage_id, stage("stability"))
        move = self.env["crm.relationship.stage.history"].search(
            [("partner_id", "=", self.fading.id)], limit=1, order="id desc"
        )
        self.assertTrue(move.automatic)
        self.assertEqual(move.to_stage_id, stage("decline"))

    def test_p_alive_threshold_zero_keeps_the_base_rule(self):
        self.company.relationship_score_decline_p_alive = 0.0
        self._score()
        self.assertEqual(
            self.fading.relationship_stage_id,
            self.env["crm.relationship.stage"]._stage_for_phase("stability"),
        )

    def test_tiers_follow_lifetime_value(self):
        partners = self.whale | self.fading | self.regulars
        value, _revenue = self.Partner._relationship_tier_values(partners.ids)
        self.assertEqual(value[0], self.whale.relationship_revenue_12m)
        self._score()
        value, revenue = self.Partner._relationship_tier_values(partners.ids)
        for i, partner in enumerate(partners):
            self.assertEqual(
                (value[i], revenue[i]),
                (partner.clv_value, partner.relationship_revenue_12m),
            )
        # the whale has the highest revenue but almost no lifetime value left
        self.assertGreater(self.regulars[0].clv_value, 10 * self.whale.clv_value)
        self.assertLess(
            self.regulars[0].value_tier_id.sequence, self.whale.value_tier_id.sequence
        )
        snapshot = self.env["crm.relationship.score.snapshot"].search(
            [("partner_id", "=", self.whale.id)]
        )
        self.assertEqual(snapshot.value_tier_id, self.whale.value_tier_id)

    def test_unscored_partners_rank_last_once_others_are_scored(self):
        self._score()
        newcomer = self._customer("Newcomer")
        value, _revenue = self.Partner._relationship_tier_values(
            [newcomer.id, self.whale.id]
        )
        self.assertEqual(value.tolist(), [0.0, self.whale.clv_value])

    def test_tier_value_of_a_customer_scored_by_another_company(self):
        """A customer without a score row of the current company ranks by the
        CLV of its first other one; the revenue given by the caller (read with
        the customers) is the one returned."""
        self._score()
        Score = self.env["crm.relationship.score"]
        shared = self._customer("Two Shops Roastery", company_id=False)
        first = Score.create(
            {"partner_id": shared.id, "company_id": self.main_company.id}
        )
        first.sudo().write({"clv_value": 321.5})
        Partner = self.Partner.with_company(self.company)
        value, revenue = Partner._relationship_tier_values(
            [self.whale.id, shared.id], [7.0, 8.0]
        )
        self.assertEqual(value.tolist(), [self.whale.clv_value, 321.5])
        self.assertEqual(revenue.tolist(), [7.0, 8.0])
        # the company's own row comes first
        Score.create(
            {"partner_id": shared.id, "company_id": self.company.id}
        ).sudo().write({"clv_value": 12.0})
        value, _revenue = Partner._relationship_tier_values([shared.id])
        self.assertEqual(value.tolist(), [12.0])


class TestScoringCron(ScoringCase):
    def test_scheduled_action_scores_every_company(self):
        customer = self._customer("Night Owl Teas")
        self._orders([(customer, 30, 60.0), (customer, 2, 90.0)])
        cron = self.env.ref("crm_relationship_scoring.ir_cron_relationship_scores")
        self.assertEqual(cron.interval_type, "days")
        cron.method_direct_trigger()
        runs = self.Run.search([("date", "=", fields.Date.context_today(self.Run))])
        self.assertEqual(runs.company_id, self.env["res.company"].search([]))
        self.assertEqual(set(runs.mapped("state")), {"done"})
        self.assertEqual(customer.score_run_id.company_id, self.company)
        self.assertEqual(customer.rfm_frequency, 2)
        # the next call of the day finds every company done and changes nothing
        snapshots = self.env["crm.relationship.score.snapshot"].search_count([])
        cron.method_direct_trigger()
        self.assertEqual(
            self.env["crm.relationship.score.snapshot"].search_count([]), snapshots
        )

    def test_recompute_now_of_a_large_company_runs_in_the_background(self):
        customer = self._customer("Big Catalogue Ltd")
        self._orders([(customer, 40, 70.0), (customer, 5, 80.0)])
        cron = self.env.ref("crm_relationship_scoring.ir_cron_relationship_scores")
        cron.method_direct_trigger()  # today's run of every company is done
        first = customer.score_run_id
        self.assertEqual(first.state, "done")
        self._orders([(customer, 1, 500.0)])
        manager = new_test_user(
            self.env,
            login="scoring_big_admin",
            groups="crm_relationship.crm_relationship_group_manager",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        with patch.object(score_model, "SYNC_RECOMPUTE_LIMIT", 0):
            action = (
                self.Run.with_user(manager)
                .with_company(self.company)
                .action_recompute()
            )
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn("background", action["params"]["message"])
        # nothing was scored while the user waited, the job is triggered
        self.assertEqual(customer.rfm_frequency, 2)
        self.assertTrue(self.company.relationship_score_requested)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers + 1,
        )
        # the job scores the requested company again although it was scored today
        cron.method_direct_trigger()
        customer.invalidate_recordset()
        self.assertEqual(customer.rfm_frequency, 3)
        self.assertEqual(customer.score_run_id, first, "today's run, redone")
        self.assertFalse(self.company.relationship_score_requested)
        snapshots = self.env["crm.relationship.score.snapshot"].search_count([])
        cron.method_direct_trigger()  # nothing requested any more: no new work
        self.assertEqual(
            self.env["crm.relationship.score.snapshot"].search_count([]), snapshots
        )
