from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import clv, rfm

SCORE_GROUP = "crm_relationship.crm_relationship_group_user"

RFM_SEGMENTS = [(code, rfm.SEGMENT_LABELS[code]) for code in rfm.SEGMENTS]
CLV_METHODS = [
    (clv.METHOD_MODEL, "BG/NBD + Gamma-Gamma"),
    (clv.METHOD_HEURISTIC, "Heuristic"),
]
RISK_LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]

#: stored score columns written by the scoring job, in the order of its UPDATE
SCORE_FIELDS = (
    "rfm_recency_days",
    "rfm_frequency",
    "rfm_monetary",
    "rfm_r_score",
    "rfm_f_score",
    "rfm_m_score",
    "rfm_code",
    "rfm_segment",
    "purchase_gap_days",
    "clv_value",
    "clv_method",
    "p_alive",
    "expected_purchases",
    "churn_risk",
    "churn_risk_level",
    "value_at_risk",
    "health_score",
    "score_date",
    "score_model_id",
    "score_currency_id",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    rfm_recency_days = fields.Integer(
        string="Days Since Last Order",
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
    )
    rfm_frequency = fields.Integer(
        string="Purchase Days",
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
        help="Days with at least one confirmed order within the scoring window.",
    )
    rfm_monetary = fields.Monetary(
        string="Net Revenue",
        currency_field="score_currency_id",
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
        help="Confirmed sales of the scoring window net of posted refunds, in "
        "company currency.",
    )
    rfm_r_score = fields.Integer(
        string="R Score", readonly=True, copy=False, groups=SCORE_GROUP
    )
    rfm_f_score = fields.Integer(
        string="F Score", readonly=True, copy=False, groups=SCORE_GROUP
    )
    rfm_m_score = fields.Integer(
        string="M Score", readonly=True, copy=False, groups=SCORE_GROUP
    )
    rfm_code = fields.Char(string="RFM", readonly=True, copy=False, groups=SCORE_GROUP)
    rfm_segment = fields.Selection(
        RFM_SEGMENTS,
        string="Segment",
        readonly=True,
        copy=False,
        index=True,
        groups=SCORE_GROUP,
    )
    purchase_gap_days = fields.Float(
        string="Usual Gap (days)",
        digits=(16, 1),
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
        help="Average number of days between two purchase days (repeat customers).",
    )
    clv_value = fields.Monetary(
        string="Lifetime Value",
        currency_field="score_currency_id",
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
        help="Discounted expected gross margin of the customer over the horizon "
        "set in the settings.",
    )
    clv_method = fields.Selection(
        CLV_METHODS,
        string="Lifetime Value Method",
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
    )
    p_alive = fields.Float(
        string="P(alive)",
        digits=(16, 4),
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
        help="Probability that the customer is still active.",
    )
    expected_purchases = fields.Float(
        digits=(16, 2),
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
        help="Expected purchase days within the horizon.",
    )
    churn_risk = fields.Float(
        digits=(16, 4),
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
        help="1 - P(alive).",
    )
    churn_risk_level = fields.Selection(
        RISK_LEVELS,
        readonly=True,
        copy=False,
        index=True,
        groups=SCORE_GROUP,
    )
    value_at_risk = fields.Monetary(
        currency_field="score_currency_id",
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
        help="Lifetime value times churn risk.",
    )
    health_score = fields.Float(
        digits=(16, 1),
        readonly=True,
        copy=False,
        groups=SCORE_GROUP,
        help="0-100, from the RFM scores, P(alive) and complaints with the weights "
        "of the settings.",
    )
    score_date = fields.Date(
        string="Scored On", readonly=True, copy=False, groups=SCORE_GROUP
    )
    score_explanation = fields.Text(
        compute="_compute_score_explanation",
        groups=SCORE_GROUP,
        help="The scores in words, in the reader's language (rendered when read "
        "from the figures of the last run, never stored).",
    )
    score_model_id = fields.Many2one(
        "crm.relationship.score.model",
        string="Scoring Run",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        groups=SCORE_GROUP,
    )
    score_currency_id = fields.Many2one(
        "res.currency",
        readonly=True,
        copy=False,
        ondelete="restrict",
        groups=SCORE_GROUP,
    )
    score_snapshot_ids = fields.One2many(
        "crm.relationship.score.snapshot",
        "partner_id",
        string="Score History",
        readonly=True,
        groups=SCORE_GROUP,
    )

    # ------------------------------------------------------------------
    # Extension points
    # ------------------------------------------------------------------
    @api.model
    def _relationship_system_fields(self):
        """The scores are computed by the scoring job (by SQL or as
        superuser): users cannot write them, a relationship administrator's
        correction is posted on the customer."""
        return (
            super()._relationship_system_fields()
            | set(SCORE_FIELDS)
            | {"score_snapshot_ids", "score_explanation"}
        )

    @api.model
    def _relationship_health_inputs(self, partners):
        """Extra inputs of the health score (satisfaction, ...), none by default.

        Return ``{name: (weight, {partner_id: value})}`` with values in [0, 1]
        (1 is healthy) and a weight >= 0 on the scale of the weights of the
        settings; a partner missing from an input's mapping is scored without
        that input (its weight is not counted).
        """
        return {}

    @api.depends_context("lang")
    @api.depends(
        "score_date",
        "rfm_recency_days",
        "purchase_gap_days",
        "rfm_frequency",
        "rfm_monetary",
        "rfm_r_score",
        "rfm_f_score",
        "rfm_m_score",
        "p_alive",
        "score_currency_id",
    )
    def _compute_score_explanation(self):
        """The scores in words, rendered for the reader: in the language of
        the environment (a salesperson working in 简体中文 reads Chinese), amounts
        in the run's currency with that language's digit grouping. Rendered
        when read: nothing is stored, nothing is rewritten nightly."""
        scored = self.filtered("score_date")
        (self - scored).score_explanation = False
        if not scored:
            return
        Run = self.env["crm.relationship.score.model"]
        lang_code = self.env.lang or "en_US"
        formats = {}
        for partner in scored:
            currency = partner.score_currency_id or self.env.company.currency_id
            if currency not in formats:
                formats[currency] = Run._score_amount_format(lang_code, currency)
            bins = (
                partner.score_model_id.company_id or self.env.company
            ).relationship_score_bins
            partner.score_explanation = Run._score_explanation_text(
                {
                    "recency_days": partner.rfm_recency_days,
                    "gap": partner.purchase_gap_days,
                    "purchase_days": partner.rfm_frequency,
                    "net": partner.rfm_monetary,
                    "r": partner.rfm_r_score,
                    "f": partner.rfm_f_score,
                    "m": partner.rfm_m_score,
                    "p_alive": partner.p_alive,
                    "bins": bins,
                },
                formats[currency],
            )

    # ------------------------------------------------------------------
    # Lifecycle rules and tiers of crm_relationship, refined by the scores
    # ------------------------------------------------------------------
    def _relationship_fetch_stats(self, today=None):
        """Add the probability of being alive (``p_alive``) of the last scoring
        run to each statistic (``None`` for partners never scored)."""
        stats = super()._relationship_fetch_stats(today)
        self.flush_model(["p_alive", "score_date"])
        self.env.cr.execute(
            SQL(
                "SELECT id, p_alive FROM res_partner "
                "WHERE id = ANY(%s) AND score_date IS NOT NULL",
                list(stats),
            )
        )
        alive = dict(self.env.cr.fetchall())
        for partner_id, values in stats.items():
            values["p_alive"] = alive.get(partner_id)
        return stats

    @api.model
    def _relationship_target_phase(self, stats, company, today):
        """Formation and stability customers unlikely to be still active decline.

        ``stats["p_alive"]`` comes from the last scoring run; the threshold is
        the company's "Decline below P(alive)" setting.
        """
        phase = super()._relationship_target_phase(stats, company, today)
        p_alive = stats.get("p_alive")
        threshold = company.relationship_score_decline_p_alive / 100.0
        if (
            phase in ("formation", "stability")
            and p_alive is not None
            and p_alive < threshold
        ):
            return "decline"
        return phase

    @api.model
    def _relationship_tier_values(self, partners):
        """Rank by customer lifetime value once customers have been scored.

        Falls back on the revenue of the base addon while none of ``partners``
        has a score (before the first scoring run). Read in one query: the
        tiers of a whole company are assigned at once.
        """
        partners.flush_recordset(
            ["clv_value", "score_date", "relationship_revenue_12m"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT id, clv_value, score_date IS NOT NULL,
                       (relationship_revenue_12m->>%s)::float8
                  FROM res_partner
                 WHERE id = ANY(%s)
                """,
                str(self.env.company.id),
                partners.ids,
            )
        )
        rows = self.env.cr.fetchall()
        if not any(scored for _id, _clv, scored, _revenue in rows):
            return super()._relationship_tier_values(partners)
        return {
            pid: (float(value or 0.0) if scored else 0.0, float(revenue or 0.0))
            for pid, value, scored, revenue in rows
        }

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_score_trend(self):
        """Trend of the scores of this customer over the scoring runs."""
        self.env["crm.relationship.score.model"]._score_check_access()
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_scoring.crm_relationship_score_snapshot_action_trend"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["display_name"] = self.env._(
            "Score Trend: %(customer)s", customer=self.commercial_partner_id.name
        )
        return action
