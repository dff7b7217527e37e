import ast
import logging
import time
from contextlib import contextmanager
from datetime import timedelta

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.base.models.res_lang import intersperse
from odoo.addons.crm_relationship.models.crm_relationship_complaint_stage import (
    OPEN_STATES,
)
from odoo.addons.crm_relationship.models.res_partner import STATS_FIELDS

from ..engine import churn, clv, health, rfm
from .res_partner import CLV_METHODS, SCORE_FIELDS, SCORE_GROUP, SCORE_LINK_FIELDS

_logger = logging.getLogger(__name__)

# "Recompute now" scores up to this many customers while the user waits
SYNC_RECOMPUTE_LIMIT = 5000

#: key of the PostgreSQL advisory lock that keeps scoring runs one at a time
SCORE_LOCK_KEY = 0x43524D5F53434F52  # "CRM_SCOR"
DAYS_PER_MONTH = 365.25 / 12
#: summary of the at-risk activities (also searched untranslated)
AT_RISK_SUMMARY = "Valuable customer at risk"
#: code of the scoring job in crm.relationship.job.failure
SCORE_JOB = "crm_relationship_scoring.scores"
SCORE_MANAGER_GROUP = "crm_relationship.crm_relationship_group_manager"


class CrmRelationshipScoreRun(models.Model):
    """One scoring run of one company: the fitted model and its figures.

    The scheduled action (:meth:`_cron_compute_scores`) creates one run per
    company and day; a run interrupted by a crash is resumed by the next call
    of the same day (partners already written by the run are skipped), and so
    is a failed run (state ``failed``, with its error message).

    Runs and their snapshots are written by the job only (as superuser or by
    SQL): everybody reads them, nobody writes or deletes them over RPC (the
    "Scoring Runs Kept" setting prunes them).
    """

    _name = "crm.relationship.score.run"
    _description = "Customer Scoring Run"
    _order = "date desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, index=True, ondelete="cascade", readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, readonly=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        default="running",
        readonly=True,
    )
    error_message = fields.Text(
        readonly=True,
        help="Why the run failed; the next run of the scheduled action retries.",
    )
    method = fields.Selection(CLV_METHODS, readonly=True)
    reason = fields.Text(
        string="Reason for the Heuristic",
        readonly=True,
        help="Why the probabilistic models were not used.",
    )
    # BG/NBD (time unit: days) and Gamma-Gamma (currency) parameters
    param_r = fields.Float(string="r", digits=(16, 6), readonly=True)
    param_alpha = fields.Float(string="alpha (days)", digits=(16, 6), readonly=True)
    param_a = fields.Float(string="a", digits=(16, 6), readonly=True)
    param_b = fields.Float(string="b", digits=(16, 6), readonly=True)
    param_p = fields.Float(string="p", digits=(16, 6), readonly=True)
    param_q = fields.Float(string="q", digits=(16, 6), readonly=True)
    param_v = fields.Float(string="v", digits=(16, 6), readonly=True)
    log_likelihood = fields.Float(
        string="BG/NBD Log-Likelihood", digits=(16, 3), readonly=True
    )
    gamma_gamma_log_likelihood = fields.Float(
        string="Gamma-Gamma Log-Likelihood", digits=(16, 3), readonly=True
    )
    customer_count = fields.Integer(readonly=True)
    repeat_customer_count = fields.Integer(
        string="Repeat Customers",
        readonly=True,
        help="Customers with at least two purchase days in the window.",
    )
    total_clv = fields.Monetary(
        string="Total Lifetime Value", currency_field="currency_id", readonly=True
    )
    date_start = fields.Datetime(string="Started", readonly=True)
    date_end = fields.Datetime(string="Finished", readonly=True)
    run_time = fields.Float(string="Run Time (s)", digits=(16, 2), readonly=True)
    time_extract = fields.Float(string="Extraction (s)", digits=(16, 2), readonly=True)
    time_engine = fields.Float(string="Engine (s)", digits=(16, 2), readonly=True)
    time_write = fields.Float(string="Write-back (s)", digits=(16, 2), readonly=True)
    time_rules = fields.Float(
        string="Tiers, Stages and Activities (s)", digits=(16, 2), readonly=True
    )
    last_partner_id = fields.Integer(
        string="Resume After Customer",
        readonly=True,
        help="Id of the last customer written by the run: customers are written "
        "by increasing id, an interrupted run resumes after this one.",
    )
    history_count = fields.Integer(
        string="History Rows",
        readonly=True,
        help="Customers whose segment, risk level, tier or stage changed, plus "
        "the periodic checkpoints.",
    )
    activity_count = fields.Integer(
        string="Activities Created",
        readonly=True,
        help="At-risk activities created for the owners of valuable customers.",
    )
    snapshot_ids = fields.One2many(
        "crm.relationship.score.snapshot", "run_id", string="Snapshots"
    )
    snapshot_count = fields.Integer(compute="_compute_snapshot_count")

    _sql_constraints = [
        (
            "company_date_uniq",
            "UNIQUE(company_id, date)",
            "A company has one scoring run per day.",
        ),
    ]

    @api.depends("company_id", "date")
    def _compute_display_name(self):
        for run in self:
            run.display_name = f"{run.company_id.name} {run.date or ''}".strip()

    def _compute_snapshot_count(self):
        counts = dict(
            self.env["crm.relationship.score.snapshot"]._read_group(
                [("run_id", "in", self.ids)], ["run_id"], ["__count"]
            )
        )
        for run in self:
            run.snapshot_count = counts.get(run, 0)

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _cron_compute_scores(self, batch_size=2000):
        """Scheduled action: score the customers of every company.

        Companies whose administrator asked for a recompute ("Recompute now"
        on a large company) are scored again even if already scored today.
        A company whose run fails does not stop the others; the failure is
        reported (see :meth:`_score_run_job`) and the next call retries it.
        Returns the runs, ``False`` when a run failed.
        """
        companies = self.env["res.company"].search([])
        requested = companies.filtered("relationship_score_requested")
        Jobs = self.env["crm.relationship.job.failure"]
        deadline = Jobs._job_deadline(SCORE_JOB)
        if Jobs._job_pass_over(SCORE_JOB, deadline):
            return None
        progress = {"done": 0, "remaining": 0, "unfinished": set()}

        def work(today, errors):
            runs = self._compute_scores(
                companies - requested,
                batch_size=batch_size,
                today=today,
                errors=errors,
                deadline=deadline,
                progress=progress,
            )
            if requested and runs is not None and not progress["unfinished"]:
                forced = self._compute_scores(
                    requested,
                    force=True,
                    batch_size=batch_size,
                    today=today,
                    errors=errors,
                    deadline=deadline,
                    progress=progress,
                )
                if forced is not None:
                    # a failed or unfinished forced run stays requested: the
                    # next call resumes it (an unfinished run is not redone)
                    done = requested.filtered(
                        lambda c: c not in errors and c not in progress["unfinished"]
                    )
                    done.write({"relationship_score_requested": False})
                    self._score_commit()
                    runs |= forced
            return runs

        try:
            runs = self._score_run_job(work)[0]
        finally:
            Jobs._job_call_ended(SCORE_JOB)
        if progress["unfinished"]:
            Jobs._job_continue_later(
                "crm_relationship_scoring.ir_cron_relationship_scores",
                progress["done"],
                max(progress["remaining"], 1),
            )
        return runs

    @api.model
    def _score_run_job(self, work, company=None):
        """Run ``work(today, errors)`` as the scoring job of
        ``crm.relationship.job.failure``; return ``(runs, errors)``.

        ``work`` scores companies with :meth:`_compute_scores` and ``errors``,
        so that a failing company is rolled back, its message stored in
        ``errors[company]`` and the next company scored. When a company failed
        or ``work`` raised (its message then under the empty company), the job
        helper rolls the uncommitted work back, records the failure with an
        activity for the relationship administrators, and ``runs`` is
        ``False``; the runs of the failed companies are then marked ``failed``
        with their message (after the rollback, which would undo it). A later
        successful run resolves the failure. Returns ``None`` as runs when
        another run held the lock.
        """
        today = fields.Date.context_today(self)
        errors = {}

        def func():
            try:
                runs = work(today, errors)
            except Exception as exc:
                errors[self.env["res.company"]] = str(exc) or exc.__class__.__name__
                raise
            if errors:
                raise UserError(
                    "\n".join(
                        f"{failed.name}: {message}"
                        for failed, message in errors.items()
                    )
                )
            return runs

        runs = self.env["crm.relationship.job.failure"]._run_job(
            SCORE_JOB, self.env._("Relationship scores"), func, company=company
        )
        if runs is False:
            for failed, message in errors.items():
                if failed:
                    self._score_mark_failed(failed, today, message)
            self._score_commit()
        return runs, errors

    def _score_mark_failed(self, company, today, message):
        """Today's run of ``company`` failed with ``message`` (created when the
        rollback of the failed work took it away)."""
        run = self.search(
            [("company_id", "=", company.id), ("date", "=", today)], limit=1
        )
        values = {
            "state": "failed",
            "error_message": message,
            "date_end": fields.Datetime.now(),
        }
        if run:
            run.write(values)
        else:
            run = self.create(
                dict(
                    values,
                    company_id=company.id,
                    date=today,
                    date_start=fields.Datetime.now(),
                )
            )
        return run

    @api.model
    def _score_customer_count(self, company):
        """Customers of ``company`` with confirmed orders (a cheap estimate of
        the size of a scoring run)."""
        return self.env["res.partner"].search_count(
            [
                ("parent_id", "=", False),
                ("company_id", "in", [company.id, False]),
                ("relationship_order_count", ">", 0),
            ]
        )

    @api.model
    def _score_check_access(self, manager=False):
        """Refuse the caller unless a relationship user (a relationship
        administrator with ``manager``): the first thing every public method
        of the scoring addon does."""
        if manager and not self.env.user.has_group(SCORE_MANAGER_GROUP):
            raise AccessError(
                self.env._("Only relationship administrators can recompute scores.")
            )
        if not self.env.user.has_group(SCORE_GROUP):
            raise AccessError(
                self.env._("Only relationship users can see customer scores.")
            )

    @api.model
    def action_recompute(self, company=None):
        """ "Recompute now": score the customers of ``company`` again today.

        Up to ``SYNC_RECOMPUTE_LIMIT`` customers the run happens while the user
        waits; a larger company is flagged and the scheduled action is
        triggered to score it in the background, in batches. Only relationship
        administrators, for one of their companies; a failed run is shown to
        the user as an error.
        """
        self._score_check_access(manager=True)
        if isinstance(company, int):  # over RPC
            company = self.env["res.company"].browse(company)
        company = company or self.env.company
        if company not in self.env.user.company_ids:
            raise AccessError(
                self.env._("You cannot recompute the scores of this company.")
            )
        title = self.env._("Relationship scores")
        if self._score_customer_count(company) > SYNC_RECOMPUTE_LIMIT:
            company.sudo().relationship_score_requested = True
            self.env.ref(
                "crm_relationship_scoring.ir_cron_relationship_scores"
            ).sudo()._trigger()
            return self._score_notification(
                title,
                self.env._(
                    "The scores of %(company)s are being recomputed in the "
                    "background; the Scoring Runs menu shows the run when it is "
                    "done.",
                    company=company.name,
                ),
                "info",
            )
        Run = self.sudo()
        runs, errors = Run._score_run_job(
            lambda today, errors: Run._compute_scores(
                company.sudo(), force=True, today=today, errors=errors
            ),
            company=company,
        )
        if runs is False:
            raise UserError(
                self.env._(
                    "The scores of %(company)s could not be recomputed: %(error)s",
                    company=company.name,
                    error=errors.get(company) or "\n".join(errors.values()),
                )
            )
        if runs is None:
            return self._score_notification(
                title,
                self.env._(
                    "A scoring run is already in progress: try again when it is done."
                ),
                "warning",
            )
        return self._score_notification(
            title,
            self.env._(
                "%(customers)s customers scored (%(method)s).",
                customers=runs.customer_count,
                method=dict(
                    runs._fields["method"]._description_selection(self.env)
                ).get(runs.method, "-"),
            ),
            "success",
        )

    @api.model
    def _score_notification(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _compute_scores(
        self,
        companies,
        force=False,
        batch_size=2000,
        today=None,
        errors=None,
        deadline=None,
        progress=None,
    ):
        """Score the customers of ``companies``; return the runs.

        Returns ``None`` without doing anything when another run holds the
        lock. Without ``force`` a company already scored today is skipped; an
        unfinished (or failed) run of today is resumed. Without ``errors`` an
        exception propagates; with a dict, the work of a failing company is
        rolled back, its error is stored in ``errors[company]`` and the next
        company is scored.

        With a ``deadline`` (``time.monotonic()``), a run stops after the
        batch that passes it (at least one batch per call), stays
        ``running`` and is resumed by the next call, which skips the
        customers it already wrote: ``progress["unfinished"]`` then holds its
        company and ``progress["remaining"]`` the customers left, and no
        further company is started.
        """
        today = today or fields.Date.context_today(self)
        with self._score_lock() as locked:
            if not locked:
                _logger.info(
                    "Relationship scores: another scoring run is in progress, "
                    "this one returns without work"
                )
                return None
            runs = self.browse()
            if progress is None:
                progress = {"done": 0, "remaining": 0, "unfinished": set()}
            progress.setdefault("done", 0)
            progress.setdefault("remaining", 0)
            progress.setdefault("unfinished", set())
            progress["deadline"] = deadline
            for company in companies:
                if progress["unfinished"]:
                    break
                if errors is None:
                    runs |= self._score_company(
                        company, today, force, batch_size, progress
                    )
                else:
                    runs |= self._score_company_isolated(
                        company, today, force, batch_size, progress, errors
                    )
            self.env["ir.cron"]._notify_progress(
                done=progress["done"], remaining=progress["remaining"]
            )
            return runs

    @contextmanager
    def _score_lock(self):
        """Hold the scoring advisory lock for the whole run, or yield False.

        Inside a scheduled-action worker, which commits between batches, the
        transaction-level lock is taken on a cursor of its own kept open (and
        rolled back, which releases it) until the run ends; otherwise on the
        current transaction.
        """
        query = SQL("SELECT pg_try_advisory_xact_lock(%s)", SCORE_LOCK_KEY)
        if not self.env["res.partner"]._relationship_auto_commit():
            self.env.cr.execute(query)
            yield self.env.cr.fetchone()[0]
            return
        lock_cr = self.env.registry.cursor()  # pragma: no cover - cron worker
        try:
            lock_cr.execute(query)
            yield lock_cr.fetchone()[0]
        finally:
            lock_cr.rollback()
            lock_cr.close()

    def _score_commit(self):
        if self.env["res.partner"]._relationship_auto_commit():  # pragma: no cover
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _score_company_isolated(
        self, company, today, force, batch_size, progress, errors
    ):
        """:meth:`_score_company`, its failure rolled back (to the last
        committed batch in a scheduled-action worker, to a savepoint
        otherwise) and recorded in ``errors``; an empty recordset then."""
        cr = self.env.cr
        auto_commit = self.env["res.partner"]._relationship_auto_commit()
        try:
            if auto_commit:  # pragma: no cover - scheduled-action worker
                return self._score_company(company, today, force, batch_size, progress)
            with cr.savepoint():
                return self._score_company(company, today, force, batch_size, progress)
        except Exception as exc:  # noqa: BLE001 - reported by _score_run_job
            _logger.exception("Relationship scores: scoring %s failed", company.name)
            if auto_commit:  # pragma: no cover - scheduled-action worker
                cr.rollback()
            self.env.invalidate_all()
            errors[company] = str(exc) or exc.__class__.__name__
            return self.browse()

    # ------------------------------------------------------------------
    # One company
    # ------------------------------------------------------------------
    def _score_prepare_run(self, company, today, force):
        """Today's run of ``company`` and whether it must be (re)done."""
        run = self.search(
            [("company_id", "=", company.id), ("date", "=", today)], limit=1
        )
        if run.state == "done" and not force:
            return run, False
        if not run:
            run = self.create(
                {
                    "company_id": company.id,
                    "date": today,
                    "date_start": fields.Datetime.now(),
                }
            )
        elif run.state == "failed":
            # the next run retries a failed one: resumed like a crashed run
            run.write({"state": "running", "error_message": False})
        elif run.state == "done":
            # redone (recompute): its history rows are updated in place
            run.write(
                {
                    "state": "running",
                    "error_message": False,
                    "date_start": fields.Datetime.now(),
                    "last_partner_id": 0,
                    "time_extract": 0.0,
                    "time_engine": 0.0,
                    "time_write": 0.0,
                    "time_rules": 0.0,
                }
            )
        return run, True

    def _score_company(self, company, today, force, batch_size, progress):
        run, todo = self._score_prepare_run(company, today, force)
        if not todo:
            _logger.info(
                "Relationship scores: %s already scored on %s", company.name, today
            )
            return run
        self._score_commit()
        timing = {"extract": 0.0, "engine": 0.0, "write": 0.0, "rules": 0.0}
        start = time.perf_counter()
        data = self._score_extract(company, today)
        timing["extract"] = time.perf_counter() - start
        start = time.perf_counter()
        result = self._score_evaluate(company, data, today) if data["n"] else None
        timing["engine"] = time.perf_counter() - start
        run.write(self._score_run_values(data, result))
        # resume after the last customer written by this run (batches go by
        # increasing partner id): tracked on the run, nothing on the partners
        todo = [i for i, pid in enumerate(data["ids"]) if pid > run.last_partner_id]
        cron = self.env["ir.cron"]
        # the rules of the base addon read a few fields of many partners: do not
        # prefetch all the columns of res.partner for them
        Partner = (
            self.env["res.partner"]
            .with_company(company)
            .with_context(prefetch_fields=False)
        )
        deadline = progress.get("deadline")
        for start_index in range(0, len(todo), batch_size):
            if start_index and deadline is not None and time.monotonic() > deadline:
                # out of time: the run stays "running"; the next call resumes
                # it with the customers not written yet (whole batches only)
                progress["remaining"] += len(todo) - start_index
                progress["unfinished"].add(company)
                run.write(
                    {
                        "time_extract": run.time_extract + timing["extract"],
                        "time_engine": run.time_engine + timing["engine"],
                        "time_write": run.time_write + timing["write"],
                        "time_rules": run.time_rules + timing["rules"],
                    }
                )
                self._score_commit()
                return run
            rows = todo[start_index : start_index + batch_size]
            partners = Partner.browse([data["ids"][i] for i in rows])
            start = time.perf_counter()
            stats = partners._relationship_fetch_stats(today)
            if result:
                for i in rows:
                    stats[data["ids"][i]]["p_alive"] = float(result["p_alive"][i])
            timing["rules"] += time.perf_counter() - start
            start = time.perf_counter()
            self._score_write_batch(run, company, data, result, rows, stats)
            timing["write"] += time.perf_counter() - start
            start = time.perf_counter()
            partners._relationship_move_stages(stats, today)
            self.env.flush_all()
            timing["rules"] += time.perf_counter() - start
            progress["done"] += len(rows)
            cron._notify_progress(
                done=progress["done"], remaining=len(todo) - start_index - len(rows)
            )
            self._score_commit()
            # keep the memory bounded: the cache only grows over the batches
            self.env.invalidate_all()
        start = time.perf_counter()
        self._score_clear_stale(run, company, data["ids"])
        Partner._relationship_assign_tiers()
        history = self._score_record_history(run, company, today)
        activities = self._score_at_risk_activities(company, data, result, today)
        self.env.flush_all()
        timing["rules"] += time.perf_counter() - start
        # a run done over several calls adds the times of each
        times = {
            "time_extract": run.time_extract + timing["extract"],
            "time_engine": run.time_engine + timing["engine"],
            "time_write": run.time_write + timing["write"],
            "time_rules": run.time_rules + timing["rules"],
        }
        run.write(
            {
                "state": "done",
                "date_end": fields.Datetime.now(),
                "activity_count": len(activities),
                "history_count": history,
                **times,
                "run_time": sum(times.values()),
            }
        )
        self._score_retention(company, today)
        self._score_commit()
        return run

    # ------------------------------------------------------------------
    # Extraction
    # ------------------------------------------------------------------
    def _score_extract_query(self, company, today):
        """One aggregate over the company's confirmed orders and refunds.

        Orders are converted to company currency (``amount_untaxed /
        currency_rate``), grouped per commercial partner and order day. A
        partner without company is scored by the company of its last order
        of the window. Returns per partner: purchase days, age (today - first
        day), span (last - first day), idle days (today - last day), gross
        total, value of the first day, posted refunds (negative), confirmed
        orders of the last 365 days.
        """
        since = today - timedelta(days=company.relationship_score_lookback_days)
        return SQL(
            """
            WITH orders AS (
                SELECT cp.id AS partner_id,
                       so.company_id,
                       so.date_order,
                       so.amount_untaxed
                           / COALESCE(NULLIF(so.currency_rate, 0), 1.0) AS amount,
                       FIRST_VALUE(COALESCE(cp.company_id, so.company_id)) OVER (
                           PARTITION BY cp.id
                           ORDER BY so.date_order DESC, so.company_id
                       ) AS home_company_id
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                  JOIN res_partner cp ON cp.id = p.commercial_partner_id
                 WHERE so.state = 'sale'
                   AND so.date_order >= %(since)s
                   AND so.date_order < %(until)s
                   AND (cp.company_id = %(company)s OR cp.company_id IS NULL)
            ), days AS (
                SELECT partner_id, date_order::date AS day,
                       SUM(amount) AS amount, COUNT(*) AS orders
                  FROM orders
                 WHERE home_company_id = %(company)s AND company_id = %(company)s
                 GROUP BY partner_id, date_order::date
            ), agg AS (
                SELECT partner_id,
                       COUNT(*) AS n_days,
                       MIN(day) AS first_day,
                       MAX(day) AS last_day,
                       SUM(amount) AS total,
                       (ARRAY_AGG(amount ORDER BY day))[1] AS first_amount,
                       COALESCE(SUM(orders) FILTER (WHERE day > %(year_ago)s), 0)
                           AS orders_12m
                  FROM days
                 GROUP BY partner_id
            ), refunds AS (
                SELECT am.commercial_partner_id AS partner_id,
                       SUM(am.amount_untaxed_signed) AS refunded
                  FROM account_move am
                 WHERE am.move_type = 'out_refund'
                   AND am.state = 'posted'
                   AND am.company_id = %(company)s
                   AND am.invoice_date >= %(since_day)s
                   AND am.invoice_date <= %(today)s
                 GROUP BY am.commercial_partner_id
            )
            SELECT agg.partner_id,
                   agg.n_days,
                   %(today)s::date - agg.first_day,
                   agg.last_day - agg.first_day,
                   %(today)s::date - agg.last_day,
                   agg.total,
                   agg.first_amount,
                   COALESCE(refunds.refunded, 0),
                   agg.orders_12m
              FROM agg
              LEFT JOIN refunds ON refunds.partner_id = agg.partner_id
             ORDER BY agg.partner_id
            """,
            company=company.id,
            since=fields.Datetime.to_datetime(since),
            until=fields.Datetime.to_datetime(today + timedelta(days=1)),
            since_day=since,
            today=today,
            year_ago=today - timedelta(days=365),
        )

    def _score_extract(self, company, today):
        """Per-customer inputs of the engine, as numpy arrays (see the query).

        ``frequency`` = purchase days - 1, ``recency`` = days between the first
        and the last purchase day, ``T`` = days since the first purchase day,
        ``monetary`` = average net value of the repeat purchase days (of the
        only day for one-time buyers), ``recency_days`` = days since the last
        purchase day, ``net`` = net revenue of the window. Refunds are spread
        over the purchase days in proportion to their value.
        """
        self.env["sale.order"].flush_model(
            [
                "state",
                "date_order",
                "amount_untaxed",
                "currency_rate",
                "partner_id",
                "company_id",
            ]
        )
        self.env["account.move"].flush_model(
            [
                "move_type",
                "state",
                "company_id",
                "invoice_date",
                "commercial_partner_id",
                "amount_untaxed_signed",
            ]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id", "company_id"])
        self.env.cr.execute(self._score_extract_query(company, today))
        rows = self.env.cr.fetchall()
        cols = list(zip(*rows, strict=True)) if rows else [()] * 9
        ids = [int(i) for i in cols[0]]
        days, age, span, idle = (np.asarray(c, dtype=np.float64) for c in cols[1:5])
        total, first, refunded, orders_12m = (
            np.asarray([float(v) for v in c], dtype=np.float64) for c in cols[5:9]
        )
        net = np.maximum(total + refunded, 0.0)
        factor = np.divide(net, total, out=np.zeros_like(net), where=total > 0)
        frequency = np.maximum(days - 1, 0.0)
        repeat_value = np.divide(
            total - first, frequency, out=first.copy(), where=frequency > 0
        )
        return {
            "n": len(ids),
            "ids": ids,
            "frequency": frequency,
            "recency": span,
            "T": age,
            "monetary": np.maximum(factor * repeat_value, 0.0),
            "recency_days": idle,
            "purchase_days": days,
            "net": net,
            "gap": np.divide(
                span, frequency, out=np.zeros_like(span), where=frequency > 0
            ),
            "orders_12m": orders_12m,
        }

    def _score_complaints(self, company, ids, today):
        """Open complaints and complaints of the last 12 months per customer."""
        self.env["crm.relationship.complaint"].flush_model(
            ["partner_id", "state", "date_received", "company_id"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id,
                       COUNT(*) FILTER (WHERE state = ANY(%(open)s)),
                       COUNT(*) FILTER (WHERE date_received >= %(since)s)
                  FROM crm_relationship_complaint
                 WHERE company_id = %(company)s AND partner_id = ANY(%(ids)s)
                 GROUP BY partner_id
                """,
                open=list(OPEN_STATES),
                since=fields.Datetime.to_datetime(today - timedelta(days=365)),
                company=company.id,
                ids=ids,
            )
        )
        stats = {
            pid: (n_open, n_recent) for pid, n_open, n_recent in self.env.cr.fetchall()
        }
        open_count = np.array([stats.get(pid, (0, 0))[0] for pid in ids], float)
        recent = np.array([stats.get(pid, (0, 0))[1] for pid in ids], float)
        return open_count, recent

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------
    @api.model
    def _score_engine_settings(self, company):
        """Keyword arguments of :func:`clv.score_customers` (times in days)."""
        annual = company.relationship_score_discount_rate / 100.0
        return {
            "horizon": company.relationship_score_horizon_months * DAYS_PER_MONTH,
            "discount_rate": (1.0 + annual) ** (1.0 / 12.0) - 1.0,
            "time_step": DAYS_PER_MONTH,
            "min_customers": company.relationship_score_min_customers,
        }

    def _score_evaluate(self, company, data, today):
        """Run the engine on the extracted arrays: every per-customer score."""
        scores = clv.score_customers(
            data["frequency"],
            data["recency"],
            data["T"],
            data["monetary"],
            **self._score_engine_settings(company),
        )
        bins = company.relationship_score_bins
        r, f, m = rfm.rfm_scores(
            data["recency_days"], data["purchase_days"], data["net"], bins=bins
        )
        segments = rfm.rfm_segments(*(self._score_on_five(s, bins) for s in (r, f, m)))
        value = scores.clv * company.relationship_score_margin / 100.0
        risk = churn.churn_risk(scores.p_alive)
        level = churn.risk_level(
            risk,
            (
                company.relationship_score_risk_medium / 100.0,
                company.relationship_score_risk_high / 100.0,
            ),
        )
        open_count, recent = self._score_complaints(company, data["ids"], today)
        return {
            "scores": scores,
            "r": r,
            "f": f,
            "m": m,
            "segment": segments,
            "clv": value,
            "p_alive": scores.p_alive,
            "risk": risk,
            "level": level,
            "health": self._score_health(
                company, data, (r, f, m), scores.p_alive, open_count, recent
            ),
        }

    @api.model
    def _score_on_five(self, scores, bins):
        """Scores of ``1..bins`` read on the 1-5 scale of the segments."""
        return health.on_five(scores, bins)

    def _score_health(self, company, data, rfm_scores, p_alive, open_count, recent):
        """Health 0-100 (:func:`health.health_score`): weighted mean of RFM,
        P(alive), complaints and the extra inputs of
        ``res.partner._relationship_health_inputs``, weighted by the
        company's settings."""
        ids = data["ids"]
        Partner = self.env["res.partner"].with_company(company)
        extra = [
            (
                weight,
                np.array([mapping.get(pid, 0.0) for pid in ids], float),
                np.array([pid in mapping for pid in ids], dtype=bool),
            )
            for weight, mapping in Partner._relationship_health_inputs(
                Partner.browse(ids)
            ).values()
        ]
        return health.health_score(
            *rfm_scores,
            p_alive,
            open_count,
            recent,
            data["orders_12m"],
            bins=company.relationship_score_bins,
            weights=health.HealthWeights(
                rfm=company.relationship_health_weight_rfm,
                alive=company.relationship_health_weight_alive,
                complaints=company.relationship_health_weight_complaints,
            ),
            extra=extra,
        )

    def _score_run_values(self, data, result):
        values = {
            "customer_count": data["n"],
            "repeat_customer_count": int(np.count_nonzero(data["frequency"] > 0)),
            "method": False,
            "reason": False,
            "total_clv": float(result["clv"].sum()) if result else 0.0,
        }
        for name in ("r", "alpha", "a", "b", "p", "q", "v"):
            values[f"param_{name}"] = 0.0
        values["log_likelihood"] = values["gamma_gamma_log_likelihood"] = 0.0
        if not result:
            return values
        scores = result["scores"]
        values["method"] = scores.method
        values["reason"] = scores.reason or False
        if scores.bgnbd:
            for name in ("r", "alpha", "a", "b"):
                values[f"param_{name}"] = getattr(scores.bgnbd, name)
            values["log_likelihood"] = scores.bgnbd.log_likelihood
        if scores.gamma_gamma:
            for name in ("p", "q", "v"):
                values[f"param_{name}"] = getattr(scores.gamma_gamma, name)
            values["gamma_gamma_log_likelihood"] = scores.gamma_gamma.log_likelihood
        return values

    # ------------------------------------------------------------------
    # Write-back
    # ------------------------------------------------------------------
    def _score_write_batch(self, run, company, data, result, rows, stats):
        """Write the scores of the customers at positions ``rows``.

        One ``INSERT ... ON CONFLICT DO UPDATE`` of their rows of
        ``crm.relationship.score`` that only rewrites a row whose figures
        changed; the order statistics ``stats`` of the stage rules
        (:meth:`res.partner._relationship_fetch_stats`) are stored on the
        partners whose figures changed (none on most nights); the run then
        records the last customer written, where a crash resumes.
        """
        ids = [data["ids"][i] for i in rows]
        Partner = self.env["res.partner"].with_company(company)
        Score = self.env["crm.relationship.score"]
        Score.flush_model()
        if result:
            self.env.cr.execute(
                self._score_upsert_query(run, company, data, result, rows)
            )
            Score.invalidate_model()
        Partner._relationship_store_stats(stats, run.date)
        run.last_partner_id = max(ids)
        run.flush_recordset(["last_partner_id"])
        Partner.browse(ids).invalidate_recordset(
            [*SCORE_FIELDS, *SCORE_LINK_FIELDS, *STATS_FIELDS]
        )

    def _score_upsert_query(self, run, company, data, result, rows):
        """The upsert of the score rows of the customers at positions
        ``rows``: values rounded to the digits of their fields, so that a
        customer whose figures did not change keeps its row untouched."""
        today = np.datetime64(run.date, "D")
        picked = np.asarray(rows, dtype=np.int64)

        def col(array, digits=None, kind=float):
            values = np.asarray(array)[picked]
            if digits is not None:
                values = np.round(values.astype(np.float64), digits)
            return [kind(v) for v in values]

        def dates(days):
            return [
                str(d)
                for d in today - np.asarray(days)[picked].astype("timedelta64[D]")
            ]

        r, f, m = (col(result[k], kind=int) for k in ("r", "f", "m"))
        clv_value = col(result["clv"], 2)
        risk = col(result["risk"], 4)
        at_risk = col(np.asarray(result["clv"]) * np.asarray(result["risk"]), 2)
        columns = {
            "partner_id": ([data["ids"][i] for i in rows], "int4"),
            "first_purchase_date": (dates(data["T"]), "date"),
            "last_purchase_date": (dates(data["recency_days"]), "date"),
            "rfm_frequency": (col(data["purchase_days"], kind=int), "int4"),
            "rfm_monetary": (col(data["net"], 2), "numeric"),
            "rfm_r_score": (r, "int4"),
            "rfm_f_score": (f, "int4"),
            "rfm_m_score": (m, "int4"),
            "rfm_code": (
                [f"{a}{b}{c}" for a, b, c in zip(r, f, m, strict=True)],
                "varchar",
            ),
            "rfm_segment": (col(result["segment"], kind=str), "varchar"),
            "purchase_gap_days": (col(data["gap"], 3), "float8"),
            "clv_value": (clv_value, "numeric"),
            "p_alive": (col(result["p_alive"], 4), "float8"),
            "expected_purchases": (
                col(result["scores"].expected_purchases, 2),
                "float8",
            ),
            "churn_risk": (risk, "float8"),
            "churn_risk_level": (col(result["level"], kind=str), "varchar"),
            "value_at_risk": (at_risk, "numeric"),
            "health_score": (col(result["health"], 1), "float8"),
        }
        constants = {
            "company_id": company.id,
            "run_id": run.id,
            "currency_id": company.currency_id.id,
            "clv_method": result["scores"].method,
        }
        names = list(columns)
        changing = [name for name in names if name != "partner_id"] + [
            "currency_id",
            "clv_method",
        ]
        now = fields.Datetime.now()
        ident = SQL.identifier
        return SQL(
            """
            INSERT INTO crm_relationship_score AS s
                   (%(names)s, %(constant_names)s,
                    create_uid, create_date, write_uid, write_date)
            SELECT %(v_names)s, %(constant_values)s, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(arrays)s) AS v(%(names)s)
                ON CONFLICT (partner_id, company_id) DO UPDATE
               SET %(assignments)s, run_id = EXCLUDED.run_id,
                   write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
             WHERE (%(old)s) IS DISTINCT FROM (%(new)s)
            """,
            names=SQL(", ").join(ident(n) for n in names),
            v_names=SQL(", ").join(ident("v", n) for n in names),
            constant_names=SQL(", ").join(ident(n) for n in constants),
            constant_values=SQL(", ").join(SQL("%s", v) for v in constants.values()),
            uid=self.env.uid,
            now=now,
            arrays=SQL(", ").join(
                SQL("%s::%s[]", values, SQL(kind)) for values, kind in columns.values()
            ),
            assignments=SQL(", ").join(
                SQL("%s = EXCLUDED.%s", ident(n), ident(n)) for n in changing
            ),
            old=SQL(", ").join(ident("s", n) for n in changing),
            new=SQL(", ").join(ident("excluded", n) for n in changing),
        )

    @api.model
    def _score_amount_format(self, lang_code, currency):
        """A function formatting whole amounts like ``¥12,340`` in ``lang_code``
        (the language's grouping is read once, not for every amount)."""
        data = self.env["res.lang"]._get_data(code=lang_code)
        if not data:
            data = self.env["res.lang"]._get_data(code="en_US")
        grouping = ast.literal_eval(data.grouping) if data else [3, 0]
        separator = (data.thousands_sep or "") if data else ","
        symbol = currency.symbol or ""
        after = currency.position == "after"

        def format_amount(value):
            number = intersperse(f"{value:.0f}", grouping, separator)[0]
            if after:
                return f"{number}\N{NO-BREAK SPACE}{symbol}"
            return f"{symbol}{number}"

        return format_amount

    @api.model
    def _score_explanation_text(self, values, amount):
        """One customer's scores in words, in the language of the environment.

        ``values``: recency_days, gap, purchase_days, net, r, f, m, p_alive
        and bins (the customer's stored figures); ``amount`` formats a sum of
        money (:meth:`_score_amount_format`).
        """
        env = self.env
        days = int(values["purchase_days"])
        bins = values["bins"]
        if days > 1:
            last = env._(
                "Last order %(days)s days ago (R %(r)s/%(bins)s, usual gap %(gap)s days)"  # noqa: E501
            )
        else:
            last = env._("Last order %(days)s days ago (R %(r)s/%(bins)s, one order)")
        if days != 1:
            orders = env._("%(count)s orders (F %(f)s/%(bins)s)")
        else:
            orders = env._("%(count)s order (F %(f)s/%(bins)s)")
        parts = (
            last
            % {
                "days": int(values["recency_days"]),
                "r": int(values["r"]),
                "bins": bins,
                "gap": round(float(values["gap"] or 0.0)),
            },
            orders % {"count": days, "f": int(values["f"]), "bins": bins},
            env._("%(amount)s (M %(m)s/%(bins)s)")
            % {
                "amount": amount(float(values["net"] or 0.0)),
                "m": int(values["m"]),
                "bins": bins,
            },
            env._("%(percent)s %% likely still active")
            % {"percent": round(100 * float(values["p_alive"] or 0.0))},
        )
        return " · ".join(parts)

    # ------------------------------------------------------------------
    # After the batches
    # ------------------------------------------------------------------
    def _score_clear_stale(self, run, company, ids):
        """Delete the score rows of ``company`` whose customer ``run`` did not
        score (no purchase in the window any more, or moved to another
        company); return their partner ids."""
        self.env["crm.relationship.score"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM crm_relationship_score
                 WHERE company_id = %s AND NOT (partner_id = ANY(%s))
                RETURNING partner_id
                """,
                company.id,
                list(ids),
            )
        )
        stale = [pid for (pid,) in self.env.cr.fetchall()]
        self.env["crm.relationship.score"].invalidate_model()
        self.env["res.partner"].browse(stale).invalidate_recordset(
            [*SCORE_FIELDS, *SCORE_LINK_FIELDS]
        )
        return stale

    def _score_record_history(self, run, company, today):
        """History rows of ``run``: one per customer whose segment, risk
        level, tier or stage changed since its last history row, or whose
        last history row is older than the checkpoint interval of the
        company (the trend of the partner form). Each score row remembers
        what its last history row said, so that this is one join of the
        company's score rows with their partners, not a scan of the history.
        Returns the number of rows written.
        """
        self.env["res.partner"].flush_model(["value_tier_id", "relationship_stage_id"])
        self.env["crm.relationship.score"].flush_model()
        days = company.relationship_score_checkpoint_days
        checkpoint = today - timedelta(days=days) if days > 0 else None
        self.env.cr.execute(
            SQL(
                """
                WITH due AS (
                    SELECT s.id, s.partner_id, p.value_tier_id,
                           p.relationship_stage_id
                      FROM crm_relationship_score s
                      JOIN res_partner p ON p.id = s.partner_id
                     WHERE s.company_id = %(company)s
                       AND (s.history_date IS NULL
                            OR s.history_date <= %(checkpoint)s
                            OR s.history_segment IS DISTINCT FROM s.rfm_segment
                            OR s.history_risk_level IS DISTINCT FROM
                               s.churn_risk_level
                            OR s.history_tier_id IS DISTINCT FROM p.value_tier_id
                            OR s.history_stage_id IS DISTINCT FROM
                               p.relationship_stage_id)
                ), history AS (
                    INSERT INTO crm_relationship_score_snapshot
                           (run_id, partner_id, company_id, date, rfm_segment,
                            previous_segment, churn_risk_level,
                            previous_risk_level, rfm_r_score, rfm_f_score,
                            rfm_m_score, clv_value, p_alive, churn_risk,
                            health_score, currency_id, value_tier_id,
                            relationship_stage_id, create_uid, create_date,
                            write_uid, write_date)
                    SELECT %(run)s, s.partner_id, s.company_id, %(today)s,
                           s.rfm_segment, s.history_segment, s.churn_risk_level,
                           s.history_risk_level, s.rfm_r_score, s.rfm_f_score,
                           s.rfm_m_score, s.clv_value, s.p_alive, s.churn_risk,
                           s.health_score, s.currency_id, due.value_tier_id,
                           due.relationship_stage_id, %(uid)s, %(now)s,
                           %(uid)s, %(now)s
                      FROM due JOIN crm_relationship_score s ON s.id = due.id
                    ON CONFLICT (run_id, partner_id) DO UPDATE
                       SET rfm_segment = EXCLUDED.rfm_segment,
                           churn_risk_level = EXCLUDED.churn_risk_level,
                           rfm_r_score = EXCLUDED.rfm_r_score,
                           rfm_f_score = EXCLUDED.rfm_f_score,
                           rfm_m_score = EXCLUDED.rfm_m_score,
                           clv_value = EXCLUDED.clv_value,
                           p_alive = EXCLUDED.p_alive,
                           churn_risk = EXCLUDED.churn_risk,
                           health_score = EXCLUDED.health_score,
                           value_tier_id = EXCLUDED.value_tier_id,
                           relationship_stage_id = EXCLUDED.relationship_stage_id,
                           write_date = EXCLUDED.write_date
                    RETURNING partner_id
                )
                UPDATE crm_relationship_score s
                   SET history_date = %(today)s,
                       history_segment = s.rfm_segment,
                       history_risk_level = s.churn_risk_level,
                       history_tier_id = due.value_tier_id,
                       history_stage_id = due.relationship_stage_id
                  FROM due
                 WHERE s.id = due.id
                RETURNING (SELECT COUNT(*) FROM history)
                """,
                company=company.id,
                checkpoint=checkpoint,
                today=today,
                run=run.id,
                uid=self.env.uid,
                now=fields.Datetime.now(),
            )
        )
        rows = self.env.cr.fetchall()
        self.env["crm.relationship.score.snapshot"].invalidate_model()
        self.env["crm.relationship.score"].invalidate_model()
        run.invalidate_recordset(["snapshot_ids", "snapshot_count"])
        return rows[0][0] if rows else 0

    def _score_at_risk_ids(self, company, data, result):
        """Valuable customers (top share by net revenue of the window) whose
        churn risk is high.

        Revenue, not lifetime value, measures how valuable a customer has
        been: the lifetime value already shrinks with the probability of being
        alive, so the customers slipping away never rank high by it.
        """
        if not result:
            return []
        selected = health.at_risk(
            data["net"],
            result["risk"],
            top_percent=company.relationship_score_high_value_percentile,
            risk_threshold=company.relationship_score_risk_high / 100.0,
        )
        return [data["ids"][i] for i in np.flatnonzero(selected)]

    def _score_at_risk_activities(self, company, data, result, today):
        """One to-do for the owner of each valuable customer at risk.

        A customer that already has an open at-risk activity gets no other one
        (one query finds them all).
        """
        ids = self._score_at_risk_ids(company, data, result)
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        if not ids or not todo:
            return self.env["mail.activity"]
        lang_code = company.partner_id.lang or self.env.lang or "en_US"
        env = self.with_context(lang=lang_code).env
        summary = env._("Valuable customer at risk")
        amount = self._score_amount_format(lang_code, company.currency_id)
        existing = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", ids),
                    ("activity_type_id", "=", todo.id),
                    ("summary", "in", list({summary, AT_RISK_SUMMARY})),
                ]
            )
        )
        covered = set(existing.mapped("res_id"))
        model_id = self.env["ir.model"]._get_id("res.partner")
        position = {pid: i for i, pid in enumerate(data["ids"])}
        vals_list = []
        for partner in self.env["res.partner"].sudo().browse(ids):
            owner = partner.relationship_owner_id or partner.user_id
            if partner.id in covered or not owner.active or owner.share:
                continue
            i = position[partner.id]
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": todo.id,
                    "summary": summary,
                    "note": env._(
                        "%(customer)s is worth %(value)s over the horizon but is "
                        "%(risk)s %% likely to have stopped buying.",
                        customer=partner.display_name,
                        value=amount(float(result["clv"][i])),
                        risk=round(100 * float(result["risk"][i])),
                    ),
                    "user_id": owner.id,
                    "date_deadline": today,
                }
            )
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(vals_list)
        )

    def _score_retention(self, company, today):
        """Keep the company's last runs only (their history rows stay) and the
        history of the months set in the settings."""
        old = self.search(
            [("company_id", "=", company.id)],
            order="date desc, id desc",
            offset=company.relationship_score_keep_runs,
        )
        old.unlink()
        months = company.relationship_score_history_months
        if months > 0:
            self.env.cr.execute(
                SQL(
                    "DELETE FROM crm_relationship_score_snapshot "
                    "WHERE company_id = %s AND date < %s",
                    company.id,
                    today - timedelta(days=round(months * DAYS_PER_MONTH)),
                )
            )
            self.env["crm.relationship.score.snapshot"].invalidate_model()
        return old

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_snapshots(self):
        self._score_check_access()
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_scoring.crm_relationship_score_snapshot_action_transitions"
        )
        action["domain"] = [("run_id", "=", self.id)]
        return action

    @api.model
    def action_open_segment_transitions(self):
        """Segment transitions of the last finished run of each allowed company."""
        self._score_check_access()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_scoring.crm_relationship_score_snapshot_action_transitions"
        )
        runs = self.browse()
        for company in self.env.companies:
            runs |= self.search(
                [("company_id", "=", company.id), ("state", "=", "done")], limit=1
            )
        action["domain"] = [("run_id", "in", runs.ids)]
        return action
