import ast
import logging
from contextlib import contextmanager
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from odoo.addons.base.models.res_lang import intersperse

from ..engine import health
from .res_partner import CLV_METHODS, SCORE_GROUP
from .score_job import ScoreJob

_logger = logging.getLogger(__name__)
#: customers written per batch of a scoring run: one commit each (a crash
#: loses at most one batch, a time-boxed call stops between two), the stage
#: moves of a batch one write per stage. What a batch costs besides its
#: customers (the ORM calls of the moves: chatter notes, history rows,
#: transitions, playbook activities) is paid once per batch: 50,000
#: customers take a few seconds, well within a call's time budget
SCORE_BATCH = 50_000

# "Recompute now" scores up to this many customers while the user waits
SYNC_RECOMPUTE_LIMIT = 5000

#: key of the PostgreSQL advisory lock that keeps scoring runs one at a time
SCORE_LOCK_KEY = 0x43524D5F53434F52  # "CRM_SCOR"
DAYS_PER_MONTH = 365.25 / 12
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
    # holdout check of the model (ScoreJob.store_calibration)
    calibration_holdout_days = fields.Integer(
        string="Holdout (days)",
        readonly=True,
        help="The model was fitted again on the orders placed before these last "
        "days, and its prediction of the purchases of these days compared with "
        "the purchases made (0: no check).",
    )
    calibration_customer_count = fields.Integer(
        string="Customers Checked",
        readonly=True,
        help="Customers who bought before the holdout.",
    )
    calibration_predicted = fields.Float(
        string="Purchases Predicted",
        digits=(16, 1),
        readonly=True,
        help="Purchase days the model predicted for the holdout.",
    )
    calibration_actual = fields.Float(
        string="Purchases Made",
        digits=(16, 1),
        readonly=True,
        help="Purchase days the same customers made in the holdout.",
    )
    calibration_gap = fields.Float(
        string="Gap to Prediction (%)",
        digits=(16, 1),
        aggregator="avg",
        readonly=True,
        help="Purchases made relative to the prediction: -2.7 means 2.7 % fewer "
        "purchases than predicted.",
    )
    calibration_mae = fields.Float(
        string="Mean Absolute Error",
        digits=(16, 3),
        aggregator="avg",
        readonly=True,
        help="Mean difference, per customer, between the purchase days predicted "
        "and made in the holdout.",
    )
    calibration_method = fields.Selection(
        CLV_METHODS, string="Method Checked", readonly=True
    )
    calibration_time = fields.Float(
        string="Holdout Check (s)", digits=(16, 2), readonly=True
    )
    calibration_ids = fields.One2many(
        "crm.relationship.score.calibration", "run_id", string="Holdout Check"
    )
    calibration_verdict = fields.Char(
        string="Verdict", compute="_compute_calibration_verdict"
    )
    calibration_chart = fields.Html(
        string="Predicted and Made by Repeat Purchases",
        compute="_compute_calibration_chart",
        sanitize=False,
    )

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

    @api.depends(
        "calibration_method",
        "calibration_predicted",
        "calibration_actual",
        "calibration_holdout_days",
    )
    @api.depends_context("lang")
    def _compute_calibration_verdict(self):
        """The holdout check in one sentence, numbers in the reader's
        language: "The model predicted 1,204 purchases in the last 90 days;
        customers made 1,171 (−2.7 %)." """
        for run in self:
            run.calibration_verdict = run._calibration_verdict_text()

    def _calibration_verdict_text(self):
        self.ensure_one()
        if not self.calibration_method:
            return False
        env = self.env
        predicted = round(self.calibration_predicted)
        actual = formatLang(env, round(self.calibration_actual), digits=0)
        days = self.calibration_holdout_days
        if not predicted:
            return env._(
                "The model predicted no purchase in the last %(days)s days; "
                "customers made %(actual)s.",
                days=days,
                actual=actual,
            )
        gap = self.calibration_gap
        sign = "+" if gap > 0 else "\N{MINUS SIGN}" if gap < 0 else ""
        return env._(
            "The model predicted %(predicted)s purchases in the last %(days)s "
            "days; customers made %(actual)s (%(gap)s\N{NO-BREAK SPACE}%%).",
            predicted=formatLang(env, predicted, digits=0),
            days=days,
            actual=actual,
            gap=sign + formatLang(env, abs(gap), digits=1),
        )

    @api.depends(
        "calibration_ids.customer_count",
        "calibration_ids.predicted_mean",
        "calibration_ids.actual_mean",
    )
    @api.depends_context("lang")
    def _compute_calibration_chart(self):
        """Bars of the mean purchases predicted and made per customer in the
        holdout, by repeat purchases before it (plain HTML and CSS: every
        label translated, every number formatted in the reader's language)."""
        for run in self:
            run.calibration_chart = run._calibration_chart_html()

    def _calibration_chart_html(self):
        self.ensure_one()
        rows = self.calibration_ids.sorted("bucket")
        if not rows:
            return False
        env = self.env
        top = max(max(rows.mapped("predicted_mean")), max(rows.mapped("actual_mean")))
        top = top or 1.0

        def bar(value, color, title):
            return Markup(
                '<div class="d-flex align-items-center gap-2" title="%s">'
                '<div class="%s" style="height: 0.8rem; width: %.1f%%; '
                'min-width: 1px;"></div><small>%s</small></div>'
            ) % (title, color, 100.0 * value / top, formatLang(env, value, digits=2))

        predicted, made = env._("Predicted"), env._("Made")
        lines = [
            Markup(
                '<div class="d-flex gap-3 mb-2"><span><span class="d-inline-block '
                'bg-primary me-1" style="width: 0.8rem; height: 0.8rem;"></span>%s'
                '</span><span><span class="d-inline-block bg-success me-1" '
                'style="width: 0.8rem; height: 0.8rem;"></span>%s</span></div>'
            )
            % (
                env._("Predicted purchases per customer"),
                env._("Purchases made per customer"),
            )
        ]
        for row in rows:
            lines.append(
                Markup(
                    '<div class="row mb-1 align-items-center">'
                    '<div class="col-4 text-end"><strong>%s</strong><br/>'
                    '<small class="text-muted">%s</small></div>'
                    '<div class="col-8">%s%s</div></div>'
                )
                % (
                    env._("%(count)s repeat purchases", count=row.bucket_label),
                    env._(
                        "%(customers)s customers",
                        customers=formatLang(env, row.customer_count, digits=0),
                    ),
                    bar(row.predicted_mean, "bg-primary", predicted),
                    bar(row.actual_mean, "bg-success", made),
                )
            )
        return Markup('<div class="o_crm_relationship_calibration">%s</div>') % (
            Markup("").join(lines)
        )

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _cron_compute_scores(self, batch_size=SCORE_BATCH):
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
        batch_size=SCORE_BATCH,
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
                    runs |= self._score_job().run(
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
        """:meth:`ScoreJob.run`, its failure rolled back (to the last
        committed batch in a scheduled-action worker, to a savepoint
        otherwise) and recorded in ``errors``; an empty recordset then."""
        cr = self.env.cr
        auto_commit = self.env["res.partner"]._relationship_auto_commit()
        try:
            if auto_commit:  # pragma: no cover - scheduled-action worker
                return self._score_job().run(
                    company, today, force, batch_size, progress
                )
            with cr.savepoint():
                return self._score_job().run(
                    company, today, force, batch_size, progress
                )
        except Exception as exc:  # noqa: BLE001 - reported by _score_run_job
            _logger.exception("Relationship scores: scoring %s failed", company.name)
            if auto_commit:  # pragma: no cover - scheduled-action worker
                cr.rollback()
            self.env.invalidate_all()
            errors[company] = str(exc) or exc.__class__.__name__
            return self.browse()

    # ------------------------------------------------------------------
    # One company (the work itself is models/score_job.py)
    # ------------------------------------------------------------------
    def _score_job(self):
        """The plain object that scores one company (overridable: return a
        subclass of :class:`ScoreJob`)."""
        return ScoreJob(self)

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

    @api.model
    def _score_on_five(self, scores, bins):
        """Scores of ``1..bins`` read on the 1-5 scale of the segments."""
        return health.on_five(scores, bins)

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
    # Retention
    # ------------------------------------------------------------------
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
