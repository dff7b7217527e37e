import json
import logging
import time
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from odoo.addons.crm_relationship.models.res_partner import id_array

from .satisfaction_data import NPS_CATEGORIES

_logger = logging.getLogger(__name__)

ROLLUP_FIELDS = (
    "last_nps_score",
    "last_nps_category",
    "nps_trend",
    "csat_avg_12m",
    "satisfaction_ratio",
    "acsi_index",
    "survey_response_count",
    "last_survey_date",
)
# invitations for orders / complaints older than this are never sent (install,
# configuration changes)
INVITE_WINDOW_DAYS = 30
INVITATION_JOB = "crm_relationship_survey.invitations"
#: satisfaction figures are internal: portal users never read them, not even
#: their own
ROLLUP_GROUP = "base.group_user"
#: who may send a satisfaction survey by hand (the scheduled job runs through
#: private methods)
SEND_GROUP = "crm_relationship.crm_relationship_group_user"


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The roll-up is per company (company_dependent: one value per company in
    # a jsonb column): a customer shared by several companies has the figures
    # of each company's answers, read in the current company.
    last_nps_score = fields.Integer(
        string="Last NPS Answer",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups=ROLLUP_GROUP,
    )
    last_nps_category = fields.Selection(
        NPS_CATEGORIES,
        string="Last NPS Category",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups=ROLLUP_GROUP,
    )
    nps_trend = fields.Integer(
        string="NPS Trend",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups=ROLLUP_GROUP,
        help="Last NPS answer minus the previous one.",
    )
    csat_avg_12m = fields.Float(
        string="CSAT 12 Months",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups=ROLLUP_GROUP,
        digits=(16, 2),
        help="Mean CSAT answer (1-5) of the last 12 months.",
    )
    satisfaction_ratio = fields.Float(
        readonly=True,
        copy=False,
        company_dependent=True,
        groups=ROLLUP_GROUP,
        digits=(16, 3),
        help="Latest c = b / a (perceived quality / expectation).",
    )
    acsi_index = fields.Float(
        string="ACSI Index",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups=ROLLUP_GROUP,
        digits=(16, 1),
        help="Latest ACSI index (0-100).",
    )
    survey_response_count = fields.Integer(
        string="Survey Responses",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups=ROLLUP_GROUP,
    )
    last_survey_date = fields.Datetime(
        string="Last Survey Answer",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups=ROLLUP_GROUP,
    )
    survey_last_invite_date = fields.Datetime(
        string="Last Survey Invitation",
        readonly=True,
        copy=False,
        groups=ROLLUP_GROUP,
    )
    survey_opt_out = fields.Boolean(
        string="No Satisfaction Surveys",
        copy=False,
        help="The customer does not want to receive satisfaction surveys.",
    )

    # ------------------------------------------------------------------
    # System-owned figures
    # ------------------------------------------------------------------
    @api.model
    def _relationship_system_fields(self):
        """The satisfaction roll-up and the invitation stamp are written by the
        system only (see crm_relationship's write guard)."""
        return (
            super()._relationship_system_fields()
            | set(ROLLUP_FIELDS)
            | {"survey_last_invite_date"}
        )

    # ------------------------------------------------------------------
    # Roll-up
    # ------------------------------------------------------------------
    def _survey_recompute_rollup(self):
        """Recompute the satisfaction roll-up of the commercial partners of
        self with one query for the whole batch, per company: an answer
        counts for the company it belongs to (``relationship_company_id`` of
        survey.user_input), so a customer shared by companies A and B shows
        in B nothing of what it answered to A."""
        customers = self.commercial_partner_id
        if not customers:
            return
        self.env["survey.user_input"].flush_model()
        self.env["survey.survey"].flush_model(["relationship_kind"])
        since = fields.Datetime.now() - timedelta(days=365)
        query = SQL(
            """
            WITH answers AS (
                SELECT ui.id,
                       ui.relationship_partner_id AS partner_id,
                       ui.relationship_company_id AS company_id,
                       COALESCE(ui.end_datetime, ui.write_date) AS answered,
                       ui.write_date,
                       ui.nps_score, ui.nps_category, ui.csat_score,
                       ui.acsi_index, ui.acsi_answered, ui.satisfaction_ratio
                  FROM survey_user_input ui
                 WHERE ui.relationship_partner_id = ANY(%(ids)s)
                   AND ui.relationship_company_id IS NOT NULL
                   AND ui.relationship_kind IS NOT NULL
                   AND ui.state = 'done'
                   AND ui.test_entry IS NOT TRUE
            )
            SELECT partner_id,
                   company_id,
                   COUNT(*),
                   MAX(answered),
                   AVG(csat_score) FILTER (
                       WHERE csat_score > 0 AND answered >= %(since)s),
                   (ARRAY_AGG(acsi_index
                              ORDER BY answered DESC, write_date DESC, id DESC)
                       FILTER (WHERE acsi_answered))[1],
                   (ARRAY_AGG(satisfaction_ratio
                              ORDER BY answered DESC, write_date DESC, id DESC)
                       FILTER (WHERE satisfaction_ratio > 0))[1],
                   (ARRAY_AGG(nps_score
                              ORDER BY answered DESC, write_date DESC, id DESC)
                       FILTER (WHERE nps_category IS NOT NULL))[1:2],
                   (ARRAY_AGG(nps_category
                              ORDER BY answered DESC, write_date DESC, id DESC)
                       FILTER (WHERE nps_category IS NOT NULL))[1]
              FROM answers
             GROUP BY partner_id, company_id
            """,
            ids=customers.ids,
            since=since,
        )
        # (end_datetime is stored to the second: write_date breaks the ties of
        # answers completed in the same second)
        self.env.cr.execute(query)
        # {partner id: {field: {company id: value}}}: the whole per-company
        # value of each field, written at once (a company whose answers are
        # gone loses its figures)
        rollup = {pid: {} for pid in customers.ids}
        for row in self.env.cr.fetchall():
            partner_id, company_id = row[:2]
            values = self._survey_rollup_values(*row[2:])
            for fname, value in values.items():
                if value is not None:
                    rollup[partner_id].setdefault(fname, {})[str(company_id)] = value
        customers = customers.sudo()
        customers.flush_recordset(list(ROLLUP_FIELDS))
        # one UPDATE for the whole batch (the roll-up is not tracked); columns
        # of company-dependent fields hold {company id: value} (jsonb)
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p
                   SET survey_response_count = v.vals->'survey_response_count',
                       last_survey_date = v.vals->'last_survey_date',
                       csat_avg_12m = v.vals->'csat_avg_12m',
                       acsi_index = v.vals->'acsi_index',
                       satisfaction_ratio = v.vals->'satisfaction_ratio',
                       last_nps_score = v.vals->'last_nps_score',
                       last_nps_category = v.vals->'last_nps_category',
                       nps_trend = v.vals->'nps_trend',
                       write_date = %(now)s,
                       write_uid = %(uid)s
                  FROM jsonb_each(%(rollup)s::jsonb) AS v(id, vals)
                 WHERE p.id = v.id::int
                """,
                now=fields.Datetime.now(),
                uid=self.env.uid,
                rollup=json.dumps(rollup),
            )
        )
        customers.invalidate_recordset([*ROLLUP_FIELDS, "write_date", "write_uid"])

    @api.model
    def _survey_rollup_values(
        self, count, last_date, csat, acsi, ratio, nps_scores, nps_category
    ):
        """Roll-up field values of one customer in one company, from a row of
        the roll-up query (None: no value, read as empty / 0)."""
        nps_scores = nps_scores or []
        return {
            "survey_response_count": count,
            "last_survey_date": fields.Datetime.to_string(last_date) or None,
            "csat_avg_12m": float(csat) if csat else None,
            "acsi_index": float(acsi) if acsi is not None else None,
            "satisfaction_ratio": float(ratio) if ratio else None,
            "last_nps_score": int(nps_scores[0]) if nps_scores else None,
            "last_nps_category": nps_category or None,
            "nps_trend": int(nps_scores[0] - nps_scores[1])
            if len(nps_scores) > 1
            else None,
        }

    @api.model
    def _survey_recompute_all_rollups(self, batch_size=1000):
        """Recompute the roll-up of every customer who answered a
        satisfaction survey (migration, reinstallation)."""
        self.env["survey.user_input"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT relationship_partner_id
                  FROM survey_user_input
                 WHERE relationship_partner_id IS NOT NULL
                 ORDER BY 1
                """
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        for start in range(0, len(ids), batch_size):
            self.browse(ids[start : start + batch_size])._survey_recompute_rollup()
        return len(ids)

    # ------------------------------------------------------------------
    # Health score input (crm_relationship_scoring, when installed)
    # ------------------------------------------------------------------
    @api.model
    def _relationship_satisfaction_values(self, partners):
        """Satisfaction of each of ``partners`` in [0, 1] (1 is very
        satisfied), read on its commercial partner: the mean of the last NPS
        answer (0-10 read as 0-1) and of the CSAT of the last 12 months (1-5
        read as 0-1), of those the customer answered. Partners whose customer
        answered none are left out. One query for any number of partners (the
        scoring job asks for every customer of a company at once). The figures
        are those of the current company (the roll-up is per company)."""
        self.flush_model(["commercial_partner_id", *ROLLUP_FIELDS])
        # the value of the current company in the jsonb columns
        category = self._field_to_sql("c", "last_nps_category")
        nps = self._field_to_sql("c", "last_nps_score")
        csat = self._field_to_sql("c", "csat_avg_12m")
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id,
                       CASE WHEN %(category)s IS NOT NULL
                            THEN COALESCE(%(nps)s, 0) / 10.0 END,
                       CASE WHEN %(csat)s > 0
                            THEN (%(csat)s - 1.0) / 4.0 END
                  FROM res_partner p
                  JOIN res_partner c ON c.id = p.commercial_partner_id
                 WHERE p.id = ANY(%(ids)s)
                   AND (%(category)s IS NOT NULL OR %(csat)s > 0)
                """,
                category=category,
                nps=nps,
                csat=csat,
                ids=id_array(partners.ids),
            )
        )
        values = {}
        for partner_id, nps_value, csat_value in self.env.cr.fetchall():
            parts = [float(v) for v in (nps_value, csat_value) if v is not None]
            values[partner_id] = sum(parts) / len(parts)
        return values

    @api.model
    def _relationship_health_inputs(self, partners):
        """Add satisfaction to the health score of crm_relationship_scoring.

        Without a hard dependency between the two addons: when scoring is not
        installed, nothing calls this method and it has no parent."""
        parent = getattr(super(), "_relationship_health_inputs", None)
        inputs = dict(parent(partners)) if parent else {}
        weight = self.env.company.survey_health_weight
        if weight > 0:
            inputs["satisfaction"] = (
                weight,
                self._relationship_satisfaction_values(partners),
            )
        return inputs

    @api.model
    def _relationship_loyalty_inputs(self, partners):
        """Add what only the customers can tell to the loyalty of
        crm_relationship_scoring (``engine/loyalty.py``), without a hard
        dependency between the two addons: ``{name: {partner id: value}}``
        with ``share_of_wallet`` (0-100 %) and ``competitors`` (0-10,
        would consider another supplier) from the latest answer of the
        current company that answered each question role,
        ``satisfaction`` (0-1, :meth:`_relationship_satisfaction_values`)
        and ``promoter`` (the latest NPS answer is a promoter's). One query
        per input for any number of partners; a customer who never answered
        is absent (the factor is left out, not counted as zero)."""
        parent = getattr(super(), "_relationship_loyalty_inputs", None)
        inputs = dict(parent(partners)) if parent else {}
        if not partners.ids:
            return inputs
        self.env["survey.user_input"].flush_model(
            [
                "relationship_partner_id",
                "relationship_company_id",
                "state",
                "test_entry",
                "end_datetime",
                "share_of_wallet",
                "share_of_wallet_answered",
                "competitor_consideration",
                "competitor_answered",
            ]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT relationship_partner_id,
                       (ARRAY_AGG(share_of_wallet
                                  ORDER BY end_datetime DESC NULLS LAST, id DESC)
                           FILTER (WHERE share_of_wallet_answered))[1],
                       (ARRAY_AGG(competitor_consideration
                                  ORDER BY end_datetime DESC NULLS LAST, id DESC)
                           FILTER (WHERE competitor_answered))[1]
                  FROM survey_user_input
                 WHERE relationship_partner_id = ANY(%s)
                   AND relationship_company_id = %s
                   AND state = 'done'
                   AND test_entry IS NOT TRUE
                   AND (share_of_wallet_answered OR competitor_answered)
                 GROUP BY relationship_partner_id
                """,
                id_array(partners.ids),
                self.env.company.id,
            )
        )
        share, competitors = {}, {}
        for partner_id, wallet, consider in self.env.cr.fetchall():
            if wallet is not None:
                share[partner_id] = float(wallet)
            if consider is not None:
                competitors[partner_id] = float(consider)
        category = self._field_to_sql("p", "last_nps_category")
        self.env.cr.execute(
            SQL(
                "SELECT p.id FROM res_partner p WHERE p.id = ANY(%s) AND %s = %s",
                id_array(partners.ids),
                category,
                "promoter",
            )
        )
        promoters = {partner_id: True for (partner_id,) in self.env.cr.fetchall()}
        inputs.update(
            share_of_wallet=share,
            competitors=competitors,
            satisfaction=self._relationship_satisfaction_values(partners),
            promoter=promoters,
        )
        return inputs

    # ------------------------------------------------------------------
    # Keep in touch (crm_relationship): a completed answer is a touch
    # ------------------------------------------------------------------
    @api.model
    def _relationship_touch_dates(self, partners):
        """Add the last completed survey answer (``end_datetime`` of a
        ``done`` answer of the customer or one of its contacts) to the last
        touch of each customer: one query for the recordset."""
        touches = super()._relationship_touch_dates(partners)
        if partners.ids:
            self.env["survey.user_input"].flush_model(
                ["partner_id", "state", "end_datetime"]
            )
            self.flush_model(["commercial_partner_id"])
            self.env.cr.execute(
                SQL(
                    """
                    SELECT p.commercial_partner_id, MAX(ui.end_datetime)
                      FROM survey_user_input ui
                      JOIN res_partner p ON p.id = ui.partner_id
                     WHERE ui.state = 'done'
                       AND p.commercial_partner_id = ANY(%s)
                     GROUP BY p.commercial_partner_id
                    """,
                    partners.ids,
                )
            )
            self._relationship_merge_touches(touches, self.env.cr.fetchall())
        return touches

    # ------------------------------------------------------------------
    # Invitations
    # ------------------------------------------------------------------
    @api.model
    def _survey_check_user_access(self, records):
        """Refuse the satisfaction buttons about ``records`` (the customer,
        order, complaint or answer: send a survey, open the answers) to anyone
        but a relationship user who can read them. Checked before any sudo()
        work: the buttons are public methods, reachable over RPC by anyone who
        reads the record; the scheduled job goes through private methods."""
        if not self.env.su and not self.env.user.has_group(SEND_GROUP):
            raise AccessError(
                _(
                    "Only relationship users can send satisfaction surveys and "
                    "open their answers."
                )
            )
        records.check_access("read")

    def _survey_invitation_blocker(self, throttle=True, company=None):
        """Why this contact may not be invited now (a message), or False.
        The throttle window is that of ``company`` (default: the current
        company)."""
        self.ensure_one()
        customer = self.commercial_partner_id
        if customer.survey_opt_out or self.survey_opt_out:
            return _("%(name)s does not want satisfaction surveys.", name=self.name)
        if not self.email_normalized:
            return _("%(name)s has no email address.", name=self.name)
        if self.is_blacklisted:
            return _("%(name)s is on the email blacklist.", name=self.name)
        last_invite = customer.sudo().survey_last_invite_date
        if throttle and last_invite:
            company = company or self.env.company
            limit = fields.Datetime.now() - timedelta(days=company.survey_throttle_days)
            if last_invite > limit:
                return _(
                    "%(name)s was last asked for a satisfaction survey on "
                    "%(date)s; customers are asked at most once every %(days)s "
                    "days.",
                    name=customer.name,
                    date=format_date(self.env, last_invite),
                    days=company.survey_throttle_days,
                )
        return False

    def _survey_send_invitation(
        self, survey, sale_order=None, complaint=None, throttle=True, company=None
    ):
        """Invite the contact self to answer survey: create the personal answer
        (token) and email its link. Returns the answer, or an empty recordset
        when the contact may not be invited (opt-out, blacklist, throttle).
        Internal: callers check who asks (see _survey_check_user_access)."""
        self.ensure_one()
        UserInput = self.env["survey.user_input"]
        company = company or self.env.company
        if not survey or self._survey_invitation_blocker(
            throttle=throttle, company=company
        ):
            return UserInput
        deadline = False
        if company.survey_deadline_days > 0:
            deadline = fields.Datetime.now() + timedelta(
                days=company.survey_deadline_days
            )
        user_input = (
            survey.sudo()
            .with_company(company)
            ._create_answer(
                partner=self,
                check_attempts=False,
                deadline=deadline,
                sale_order_id=sale_order.id if sale_order else False,
                complaint_id=complaint.id if complaint else False,
            )
        )
        template = self.env.ref(
            "crm_relationship_survey.mail_template_satisfaction_invite",
            raise_if_not_found=False,
        )
        if template:
            template.sudo().send_mail(
                user_input.id, email_layout_xmlid="mail.mail_notification_light"
            )
        self.commercial_partner_id.sudo().survey_last_invite_date = (
            fields.Datetime.now()
        )
        return user_input

    def _survey_manual_invitation(
        self, survey, sale_order=None, complaint=None, company=None
    ):
        """Invitation sent by hand: the same rules as the scheduled job
        (opt-out, blacklist, the company's throttle window), told to the user
        instead of skipped. The caller checked the user's rights."""
        self.ensure_one()
        if not survey:
            raise UserError(
                _("Choose the satisfaction survey to send in the settings first.")
            )
        company = company or self.env.company
        blocker = self._survey_invitation_blocker(company=company)
        if blocker:
            raise UserError(blocker)
        self._survey_send_invitation(
            survey, sale_order=sale_order, complaint=complaint, company=company
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("Survey sent to %(name)s.", name=self.name),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_send_satisfaction_survey(self):
        self.ensure_one()
        self._survey_check_user_access(self)
        company = self.company_id or self.env.company
        survey = (
            company.survey_periodic_survey_id
            or company.survey_order_survey_id
            or self.env.ref(
                "crm_relationship_survey.survey_annual_relationship",
                raise_if_not_found=False,
            )
        )
        return self._survey_manual_invitation(survey, company=company)

    def action_view_survey_answers(self):
        self.ensure_one()
        self._survey_check_user_access(self)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_survey.survey_user_input_action_satisfaction"
        )
        action["domain"] = [
            ("relationship_partner_id", "=", self.commercial_partner_id.id)
        ]
        action["context"] = {}
        return action

    @api.model
    def _cron_send_satisfaction_surveys(self, batch_size=200):
        """Daily job: invitations after orders, after closed complaints and
        periodic invitations of stable customers, per company.

        A failure is not silent: the job runs through
        crm.relationship.job.failure._run_job, which rolls back the batch in
        flight, records the failure and tells the relationship administrators;
        the next successful run resolves it."""
        return self.env["crm.relationship.job.failure"]._run_cron_job(
            INVITATION_JOB,
            _("Satisfaction survey invitations"),
            lambda deadline: self._survey_run_invitations(
                batch_size=batch_size, deadline=deadline
            ),
        )

    @api.model
    def _survey_run_invitations(self, batch_size=200, deadline=None):
        """The work of the invitation job.

        The due records are processed in batches; each batch is committed (in
        a scheduled-action worker) with the orders, complaints and customers
        it marked as handled, so a crash loses at most the batch in flight and
        the next run resumes with what is still due. Past ``deadline``
        (``time.monotonic()``), the call stops after a whole batch and
        triggers the scheduled action again for the rest."""
        cron = self.env["ir.cron"]
        sent = self.env["survey.user_input"]
        done = 0
        for company in self.env["res.company"].sudo().search([]):
            partners = self.with_company(company).sudo()
            # searched one after the other: a customer invited for an order is
            # then throttled for the periodic survey, in any company
            for find, invite in (
                (partners._survey_due_order_ids, partners._survey_invite_orders),
                (
                    partners._survey_due_complaint_ids,
                    partners._survey_invite_complaints,
                ),
                (partners._survey_due_periodic_ids, partners._survey_invite_periodic),
            ):
                ids = find(company)
                for start in range(0, len(ids), batch_size):
                    if done and deadline is not None and time.monotonic() > deadline:
                        self.env["crm.relationship.job.failure"]._job_continue_later(
                            "crm_relationship_survey.ir_cron_satisfaction_invitations",
                            done,
                            len(ids) - start,
                        )
                        return sent
                    batch = ids[start : start + batch_size]
                    sent |= invite(company, batch)
                    done += len(batch)
                    cron._notify_progress(
                        done=done, remaining=len(ids) - start - len(batch)
                    )
                    if self._relationship_auto_commit():  # pragma: no cover
                        self.env.cr.commit()  # pylint: disable=invalid-commit
        return sent

    def _survey_due_order_ids(self, company):
        if not company.survey_order_survey_id:
            return []
        due = fields.Datetime.now() - timedelta(days=company.survey_order_delay)
        orders = self.env["sale.order"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "sale"),
                ("satisfaction_invite_done", "=", False),
                ("date_order", "<=", due),
                ("date_order", ">=", due - timedelta(days=INVITE_WINDOW_DAYS)),
            ],
            order="date_order, id",
        )
        return orders.ids

    def _survey_due_complaint_ids(self, company):
        if not company.survey_complaint_survey_id:
            return []
        complaints = self.env["crm.relationship.complaint"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "closed"),
                ("satisfaction_invite_done", "=", False),
                (
                    "date_closed",
                    ">=",
                    fields.Datetime.now() - timedelta(days=INVITE_WINDOW_DAYS),
                ),
            ],
            order="date_closed, id",
        )
        return complaints.ids

    def _survey_due_periodic_ids(self, company):
        if not company.survey_periodic_survey_id or company.survey_periodic_days <= 0:
            return []
        since = fields.Datetime.now() - timedelta(days=company.survey_periodic_days)
        customers = self.search(
            [
                ("relationship_phase", "=", "stability"),
                ("parent_id", "=", False),
                ("company_id", "in", [False, company.id]),
                ("survey_opt_out", "=", False),
                ("email_normalized", "!=", False),
                ("is_blacklisted", "=", False),
                "|",
                ("survey_last_invite_date", "=", False),
                ("survey_last_invite_date", "<", since),
            ],
            order="id",
        )
        return customers.ids

    def _survey_invite_orders(self, company, order_ids):
        sent = self.env["survey.user_input"]
        orders = self.env["sale.order"].browse(order_ids)
        for order in orders:
            sent |= order.partner_id._survey_send_invitation(
                company.survey_order_survey_id, sale_order=order
            )
        orders.satisfaction_invite_done = True
        return sent

    def _survey_invite_complaints(self, company, complaint_ids):
        sent = self.env["survey.user_input"]
        complaints = self.env["crm.relationship.complaint"].browse(complaint_ids)
        for complaint in complaints:
            contact = complaint.contact_id or complaint.partner_id
            sent |= contact._survey_send_invitation(
                company.survey_complaint_survey_id, complaint=complaint
            )
        complaints.satisfaction_invite_done = True
        return sent

    def _survey_invite_periodic(self, company, customer_ids):
        sent = self.env["survey.user_input"]
        for customer in self.browse(customer_ids):
            sent |= customer._survey_send_invitation(company.survey_periodic_survey_id)
        return sent
