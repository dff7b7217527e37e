import logging
import threading
import time
import traceback

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.http import request
from odoo.tools import config

_logger = logging.getLogger(__name__)

#: lines of the traceback kept on the failure record (the whole one is logged)
TRACEBACK_TAIL = 30
MANAGER_GROUP = "crm_relationship.crm_relationship_group_manager"
#: share of Odoo's time limit of a scheduled action (``limit_time_real_cron``,
#: else ``limit_time_real``) that a job uses per pass of the cron worker
TIME_SHARE = 0.5
#: system parameter overriding that budget, in seconds
BUDGET_PARAM = "crm_relationship.job_time_budget"
#: system parameter holding where a daily job resumes (``day:last id``)
PROGRESS_PARAM = "crm_relationship.progress.%s"
#: calls of a job closer than this belong to the same pass of the cron worker
#: (Odoo calls a job again at once while it reports remaining work)
PASS_GAP = 5.0
#: {(database, job): [start of the pass, end of the last call]}
_passes = {}


class CrmRelationshipJobFailure(models.Model):
    """A scheduled job of the suite that failed, where administrators look.

    Every job of the three addons (stage rules, service levels, scoring,
    survey invitations) runs through :meth:`_run_job`: when its work raises,
    the work of the failed batch is rolled back, the failure is recorded here
    with its message, the relationship administrators get an activity, and
    the job returns normally so that the next scheduled run retries (every
    job resumes where it stopped). The next successful run of the same job
    marks its open failures as resolved.
    """

    _name = "crm.relationship.job.failure"
    _description = "Relationship Job Failure"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"

    name = fields.Char(string="Job", required=True, readonly=True)
    job = fields.Char(
        string="Job Code",
        required=True,
        readonly=True,
        index=True,
        help="Technical name of the job (the method the scheduled action runs).",
    )
    date = fields.Datetime(
        required=True, readonly=True, default=fields.Datetime.now, index=True
    )
    company_id = fields.Many2one(
        "res.company", readonly=True, index=True, ondelete="cascade"
    )
    cron_id = fields.Many2one(
        "ir.cron", string="Scheduled Action", readonly=True, ondelete="set null"
    )
    error = fields.Text(string="Error Message", readonly=True)
    details = fields.Text(string="Technical Details", readonly=True)
    state = fields.Selection(
        [("failed", "Failed"), ("resolved", "Resolved")],
        required=True,
        default="failed",
        readonly=True,
        tracking=True,
        index=True,
    )
    date_resolved = fields.Datetime(string="Resolved On", readonly=True)
    failure_count = fields.Integer(
        string="Failed Runs",
        default=1,
        readonly=True,
        help="Runs that failed since the job last succeeded.",
    )

    # ------------------------------------------------------------------
    # Running a job
    # ------------------------------------------------------------------
    @api.model
    def _auto_commit(self):
        """Commit between batches only inside a real scheduled-action worker:
        a job started by the cron thread (``cron_id`` in its context), never
        within an HTTP request (an RPC caller controls the context) nor a
        test."""
        return (
            bool(self.env.context.get("cron_id"))
            and not request
            and not getattr(threading.current_thread(), "testing", False)
        )

    # ------------------------------------------------------------------
    # Where a daily job resumes
    # ------------------------------------------------------------------
    @api.model
    def _job_progress(self, job, today):
        """Where today's work of ``job`` resumes: the last record id done
        today (0 when not started today), ``None`` when today's work is
        finished. Kept in one system parameter per job, so that resuming a
        job never stamps the records it works on."""
        value = (
            self.env["ir.config_parameter"].sudo().get_param(PROGRESS_PARAM % job, "")
        )
        day, _sep, last = value.partition(":")
        if day != fields.Date.to_string(today):
            return 0
        if last == "done":
            return None
        try:
            return int(last)
        except ValueError:
            return 0

    @api.model
    def _job_save_progress(self, job, today, last_id=None):
        """Record that ``job`` did today's records up to ``last_id`` (all of
        them without ``last_id``); committed with the batch it follows."""
        self.env["ir.config_parameter"].sudo().set_param(
            PROGRESS_PARAM % job,
            f"{fields.Date.to_string(today)}:"
            f"{'done' if last_id is None else int(last_id)}",
        )

    # ------------------------------------------------------------------
    # Time-boxed passes
    # ------------------------------------------------------------------
    @api.model
    def _job_time_budget(self):
        """Seconds a job may work per pass of the cron worker: half of
        Odoo's time limit of scheduled actions (120 s by default), or the
        ``crm_relationship.job_time_budget`` system parameter."""
        param = self.env["ir.config_parameter"].sudo().get_param(BUDGET_PARAM)
        try:
            budget = float(param) if param else 0.0
        except ValueError:
            _logger.warning(
                "Ignoring %s=%r: not a number of seconds", BUDGET_PARAM, param
            )
            budget = 0.0
        if budget > 0:
            return budget
        limit = config.get("limit_time_real_cron") or 0
        if limit <= 0:
            limit = config.get("limit_time_real") or 120
        return max(limit * TIME_SHARE, 1.0)

    @api.model
    def _job_deadline(self, job):
        """``time.monotonic()`` deadline of this pass of ``job``.

        Odoo calls a scheduled action again at once while it reports remaining
        work (up to ten times), all within one time limit: the budget counts
        from the first call of the pass, not from each call. Recognised by
        the progress record Odoo's cron loop puts in the context; any other
        call is a pass of its own.
        """
        now = time.monotonic()
        if not self.env.context.get("ir_cron_progress_id"):
            # not called by Odoo's cron loop (a button, a test): a pass of its own
            return now + self._job_time_budget()
        key = (self.env.cr.dbname, job)
        start, last = _passes.get(key, (now, None))
        if last is None or now - last > PASS_GAP:
            start = now
        _passes[key] = [start, now]
        return start + self._job_time_budget()

    @api.model
    def _job_call_ended(self, job):
        key = (self.env.cr.dbname, job)
        if key in _passes:
            _passes[key][1] = time.monotonic()

    @api.model
    def _job_continue_later(self, cron_xmlid, done, remaining):
        """The pass is over with ``remaining`` work: report it and make sure
        the scheduled action runs again soon (a trigger), whatever its
        interval. Reporting no work done ends Odoo's loop of calls when the
        pass already used its budget."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        cron = self.env.ref(cron_xmlid, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    @api.model
    def _run_cron_job(self, job, label, func, company=None):
        """:meth:`_run_job` for the work of a scheduled action, time-boxed:
        ``func(deadline)`` gets the ``time.monotonic()`` deadline of this pass
        of the cron worker (:meth:`_job_deadline`); past it, the work stops
        after a whole batch and calls :meth:`_job_continue_later`."""
        deadline = self._job_deadline(job)
        if self._job_pass_over(job, deadline):
            return None
        try:
            return self._run_job(job, label, lambda: func(deadline), company=company)
        finally:
            self._job_call_ended(job)

    @api.model
    def _job_pass_over(self, job, deadline):
        """Whether Odoo called ``job`` again within a pass that already used
        its budget (the first call of a pass always works): then nothing is
        done and no work is reported, which ends Odoo's loop of calls; the
        trigger left by the previous call starts the next pass."""
        if not self.env.context.get("ir_cron_progress_id"):
            return False
        start, last = _passes.get((self.env.cr.dbname, job), (None, None))
        if start is None or start == last or time.monotonic() <= deadline:
            return False
        self.env["ir.cron"]._notify_progress(done=0, remaining=1)
        return True

    @api.model
    def _run_job(self, job, label, func, company=None):
        """Run ``func()`` as the job ``job`` (``label`` is shown to people).

        Returns what ``func`` returns, or ``False`` when it failed. On failure
        the work not yet committed is undone (the whole transaction in a
        scheduled-action worker, a savepoint otherwise), the failure is
        recorded and the administrators are told; the exception is not
        propagated so that the scheduled action keeps its schedule and the
        next run retries. On success (``func`` returned something else than
        ``None``, which means it could not run, e.g. another run held its
        lock), earlier failures of ``job`` are marked resolved.
        """
        cr = self.env.cr
        auto_commit = self._auto_commit()
        try:
            if auto_commit:  # pragma: no cover - scheduled-action worker
                result = func()
            else:
                with cr.savepoint():
                    result = func()
        except Exception as exc:  # noqa: BLE001 - reported, not swallowed
            _logger.exception("Relationships: job %s failed", job)
            if auto_commit:  # pragma: no cover - scheduled-action worker
                cr.rollback()
            self.env.invalidate_all()
            self._record_failure(job, label, exc, company=company)
            if auto_commit:  # pragma: no cover - scheduled-action worker
                cr.commit()  # pylint: disable=invalid-commit
            return False
        if result is not None:  # None: the job found nothing it could do
            self._resolve(job, company=company)
        return result

    @api.model
    def _record_failure(self, job, label, exc, company=None):
        message = str(exc) or exc.__class__.__name__
        details = "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__)
        ).splitlines()[-TRACEBACK_TAIL:]
        details = "\n".join(details)
        company_id = company.id if company else False
        # a job failing run after run keeps one open failure (and one to-do)
        failure = self.sudo().search(
            [
                ("job", "=", job),
                ("company_id", "=", company_id),
                ("state", "=", "failed"),
            ],
            limit=1,
        )
        if failure:
            failure.write(
                {
                    "date": fields.Datetime.now(),
                    "error": message,
                    "details": details,
                    "failure_count": failure.failure_count + 1,
                }
            )
            failure.message_post(
                body=_("The job failed again: %(error)s", error=message),
                subtype_xmlid="mail.mt_note",
            )
            return failure
        cron_id = self.env.context.get("cron_id")
        failure = self.sudo().create(
            {
                "name": label,
                "job": job,
                "company_id": company_id,
                "cron_id": cron_id
                if cron_id and self.env["ir.cron"].sudo().browse(cron_id).exists()
                else False,
                "error": message,
                "details": details,
            }
        )
        failure._notify_administrators()
        return failure

    def _notify_administrators(self):
        """One to-do per relationship administrator and failure."""
        group = self.env.ref(MANAGER_GROUP, raise_if_not_found=False)
        users = (group.sudo().users if group else self.env["res.users"]).filtered(
            lambda u: u.active and not u.share and not u._is_superuser()
        )
        activity_type = self.env.ref(
            "mail.mail_activity_data_todo", raise_if_not_found=False
        )
        model_id = self.env["ir.model"]._get_id(self._name)
        self.env["mail.activity"].sudo().create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": failure.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": _("Job failed: %(job)s", job=failure.name),
                    "note": failure.error,
                    "user_id": user.id,
                    "date_deadline": fields.Date.context_today(self),
                }
                for failure in self
                for user in users
            ]
        )

    @api.model
    def _resolve(self, job, company=None):
        """A successful run of ``job`` (for ``company``, or for all companies
        when ``None``): its open failures of that scope are resolved; a run
        for one company leaves the failures of another one open."""
        open_failures = self.sudo().search(
            [
                ("job", "=", job),
                ("state", "=", "failed"),
                ("company_id", "=", company.id if company else False),
            ]
        )
        if open_failures:
            open_failures.write(
                {"state": "resolved", "date_resolved": fields.Datetime.now()}
            )
            open_failures.activity_ids.action_feedback(
                feedback=_("The next run of the job succeeded.")
            )
        return open_failures

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_resolve(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _("Only relationship administrators can resolve job failures.")
            )
        todo = self.filtered(lambda f: f.state == "failed")
        todo.write({"state": "resolved", "date_resolved": fields.Datetime.now()})
        todo.activity_ids.action_feedback(feedback=_("Marked as resolved."))
        return True
