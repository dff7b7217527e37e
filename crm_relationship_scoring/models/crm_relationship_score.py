import numbers

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL, Query

from .res_partner import (
    CLV_METHODS,
    LOYALTY_CLASSES,
    NEXT_ORDER_BASES,
    RFM_SEGMENTS,
    RISK_LEVELS,
    SATISFACTION_QUADRANTS,
)

#: how full an insert leaves each page of the table: most rows get a new
#: version every night, and that version must fit in the row's page next to
#: the version it replaces (dead after the night, pruned before the next one)
#: for the update to be HOT (no index entry is rewritten). At 70 % a third of
#: a night's updates were not (benchmark); below half, all but a few are.
SCORE_FILLFACTOR = 45
#: the figures that are not money are float8 columns (fields without digits:
#: the forms show P(alive) and the churn risk as percentages, the usual gap
#: and the satisfaction to a tenth, the rest with Odoo's two decimals; the
#: partner's fields keep their digits): the job writes them from floats
#: every night, which a numeric column would convert one value at a time
FLOAT_FIGURES = (
    "purchase_gap_days",
    "p_alive",
    "expected_purchases",
    "churn_risk",
    "health_score",
    "loyalty_index",
    "satisfaction_level",
)


class CrmRelationshipScore(models.Model):
    """The scores of one customer in one company: one narrow row, rewritten by
    the nightly job only when a figure changes.

    The scoring job (``crm.relationship.score.run``) is the only writer: it
    upserts the rows of a batch in one ``INSERT ... ON CONFLICT DO UPDATE ...
    WHERE ... IS DISTINCT FROM``; everybody with the relationship user group
    reads them (the partner's score fields are read from here). The table
    keeps few indexes and free space in its pages so that the nightly update
    of a row is a HOT update; no column changes just because a day passed
    (the days since the last purchase are computed when read).
    """

    _name = "crm.relationship.score"
    _description = "Customer Scores"
    _order = "value_at_risk desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    run_ref = fields.Integer(
        string="Changed by Run (id)",
        readonly=True,
        aggregator=False,
        help="Id of the scoring run that last changed these figures, kept "
        "without a foreign key (as mail.message's res_id): the nightly job "
        "writes it on every row it changes, which a key would check row by "
        "row; a run deleted by the retention leaves its id.",
    )
    run_id = fields.Many2one(
        "crm.relationship.score.run",
        string="Changed by Run",
        compute="_compute_run_id",
        search="_search_run_id",
        help="The scoring run that last changed these figures (empty once the "
        "run is deleted by the retention of the settings).",
    )
    currency_id = fields.Many2one("res.currency", readonly=True, ondelete="restrict")
    first_purchase_date = fields.Date(readonly=True)
    last_purchase_date = fields.Date(readonly=True)
    rfm_recency_days = fields.Integer(
        string="Days Since Last Order",
        compute="_compute_rfm_recency_days",
        search="_search_rfm_recency_days",
        help="Days between the last purchase day and today (computed when read).",
    )
    rfm_frequency = fields.Integer(
        string="Purchase Days",
        readonly=True,
        aggregator="avg",
        help="Days with at least one confirmed order within the scoring window.",
    )
    rfm_monetary = fields.Monetary(
        string="Net Revenue",
        currency_field="currency_id",
        readonly=True,
        help="Confirmed sales of the scoring window net of posted refunds, in "
        "company currency.",
    )
    rfm_r_score = fields.Integer(string="R Score", readonly=True, aggregator="avg")
    rfm_f_score = fields.Integer(string="F Score", readonly=True, aggregator="avg")
    rfm_m_score = fields.Integer(string="M Score", readonly=True, aggregator="avg")
    rfm_code = fields.Char(string="RFM", readonly=True)
    rfm_segment = fields.Selection(
        RFM_SEGMENTS, string="Segment", readonly=True, index=True
    )
    purchase_gap_days = fields.Float(
        string="Usual Gap (days)",
        readonly=True,
        aggregator="avg",
        help="Average number of days between two purchase days (repeat customers).",
    )
    clv_value = fields.Monetary(
        string="Lifetime Value", currency_field="currency_id", readonly=True
    )
    clv_method = fields.Selection(
        CLV_METHODS, string="Lifetime Value Method", readonly=True
    )
    p_alive = fields.Float(string="P(alive)", readonly=True, aggregator="avg")
    expected_purchases = fields.Float(readonly=True)
    churn_risk = fields.Float(readonly=True, aggregator="avg")
    churn_risk_level = fields.Selection(RISK_LEVELS, readonly=True, index=True)
    value_at_risk = fields.Monetary(currency_field="currency_id", readonly=True)
    health_score = fields.Float(readonly=True, aggregator="avg")
    next_order_date = fields.Date(
        string="Next Order Expected",
        readonly=True,
        help="The last order plus the gap expected after it (median, "
        "engine/next_order.py): the day the next order is expected if the "
        "customer is still active; empty for one-time buyers.",
    )
    next_order_low_date = fields.Date(string="Next Order from", readonly=True)
    next_order_high_date = fields.Date(string="Next Order until", readonly=True)
    next_order_basis = fields.Selection(
        NEXT_ORDER_BASES,
        readonly=True,
        help="Fitted model: from the customer's purchases and the population's; "
        "own pace: from the customer's own purchases only (few customers); "
        "one-time buyer: no date is predicted from a single purchase.",
    )
    next_order_overdue = fields.Boolean(
        readonly=True,
        index=True,
        help="Longer since the last order than the expected gap plus the margin "
        "of the settings.",
    )
    loyalty_index = fields.Float(
        readonly=True,
        aggregator="avg",
        help="0-100: weighted mean of the loyalty factors measured for the "
        "customer; a factor without data is left out, not counted as zero.",
    )
    loyalty_class = fields.Selection(
        LOYALTY_CLASSES, string="Loyalty", readonly=True, index=True
    )
    loyalty_factors_used = fields.Integer(
        string="Loyalty Factors Measured", readonly=True, aggregator=False
    )
    loyalty_repeat = fields.Float(
        string="Repeat Purchases", readonly=True, aggregator="avg"
    )
    loyalty_share_of_wallet = fields.Float(
        string="Share of Wallet", readonly=True, aggregator="avg"
    )
    loyalty_choosing = fields.Float(
        string="Time Spent Choosing", readonly=True, aggregator="avg"
    )
    loyalty_price = fields.Float(
        string="Price Insensitivity", readonly=True, aggregator="avg"
    )
    loyalty_competitors = fields.Float(
        string="Attitude to Competitors", readonly=True, aggregator="avg"
    )
    loyalty_tolerance = fields.Float(
        string="Tolerance of Incidents", readonly=True, aggregator="avg"
    )
    satisfaction_level = fields.Float(
        string="Satisfaction (%)", readonly=True, aggregator="avg"
    )
    satisfaction_quadrant = fields.Selection(
        SATISFACTION_QUADRANTS,
        string="Satisfaction x Loyalty",
        readonly=True,
        help="Customers who answered a satisfaction survey, placed on their "
        "satisfaction and their loyalty index (thresholds in the settings).",
    )
    # what the customer's last history row says (the next history row is
    # written when one of them changes, or at the checkpoint)
    history_date = fields.Date(readonly=True)
    history_segment = fields.Selection(RFM_SEGMENTS, readonly=True)
    history_risk_level = fields.Selection(RISK_LEVELS, readonly=True)
    history_tier_id = fields.Many2one(
        "crm.relationship.tier", readonly=True, ondelete="set null"
    )
    history_stage_id = fields.Many2one(
        "crm.relationship.stage", readonly=True, ondelete="set null"
    )
    # read from the customer, for the lists of the reports
    value_tier_id = fields.Many2one(
        related="partner_id.value_tier_id", string="Value Tier"
    )
    relationship_owner_id = fields.Many2one(
        related="partner_id.relationship_owner_id", string="Owner"
    )
    relationship_stage_id = fields.Many2one(
        related="partner_id.relationship_stage_id", string="Stage"
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "UNIQUE(partner_id, company_id)",
            "A customer has one score row per company.",
        ),
    ]

    @api.private
    def init(self):
        # nightly updates rewrite most rows: leave room in each page for the
        # new version (HOT update, the indexes are not touched)
        self.env.cr.execute(
            SQL(
                "ALTER TABLE %s SET (fillfactor = %s)",
                SQL.identifier(self._table),
                SQL(str(SCORE_FILLFACTOR)),
            )
        )

    @api.depends("partner_id", "company_id")
    def _compute_display_name(self):
        for score in self:
            score.display_name = score.partner_id.display_name or ""

    @api.depends("run_ref")
    def _compute_run_id(self):
        Run = self.env["crm.relationship.score.run"]
        runs = Run.browse({row.run_ref for row in self if row.run_ref}).exists()
        for row in self:
            row.run_id = Run.browse(row.run_ref) & runs

    def _search_run_id(self, operator, value):
        """The rows whose run is one of ``(operator, value)``, as for a stored
        many2one: run ids, runs or a query of runs (``in``/``not in``, ``=``,
        ``!=``; False for none: no run, or a run deleted since), or any
        other condition on the runs through their search. A run deleted
        since is no run, as the field reads."""
        Run = self.env["crm.relationship.score.run"]
        negative = operator in ("!=", "not in")
        if operator in ("=", "!=", "in", "not in"):
            if isinstance(value, Query):
                runs, empty = value, False
            else:
                if isinstance(value, models.BaseModel):
                    value = value.ids
                values = (
                    list(value) if isinstance(value, (list, tuple, set)) else [value]
                )
                if not all(
                    v is False or v is None or isinstance(v, numbers.Integral)
                    for v in values
                ):
                    runs = Run._search([("display_name", operator, value)])
                    return [("run_ref", "in", runs)]
                ids = [int(v) for v in values if v is not False and v is not None]
                runs, empty = ids, len(ids) < len(values)
        else:
            return [("run_ref", "in", Run._search([("display_name", operator, value)]))]
        # the runs that still exist (as the field reads: exists())
        existing = Run.sudo()._search([])
        chosen = None
        if isinstance(runs, Query) or runs:
            chosen = Run.sudo()._search([("id", "in", runs)])
        if not negative:
            domains = []
            if chosen is not None:
                domains.append([("run_ref", "in", chosen)])
            if empty:
                domains.append(
                    ["|", ("run_ref", "=", False), ("run_ref", "not in", existing)]
                )
            return expression.OR(domains) if domains else expression.FALSE_DOMAIN
        if empty:
            # a run that exists, and is not one of them
            domain = [("run_ref", "in", existing)]
            if chosen is not None:
                domain = expression.AND([domain, [("run_ref", "not in", chosen)]])
            return domain
        if chosen is None:
            return expression.TRUE_DOMAIN
        return ["|", ("run_ref", "=", False), ("run_ref", "not in", chosen)]

    @api.depends("last_purchase_date")
    @api.depends_context("tz")
    def _compute_rfm_recency_days(self):
        today = fields.Date.context_today(self)
        for score in self:
            last = score.last_purchase_date
            score.rfm_recency_days = (today - last).days if last else 0

    def _search_rfm_recency_days(self, operator, value):
        """``days since the last purchase`` compared to ``value`` is the last
        purchase date compared (the other way round) to today - ``value``."""
        today = fields.Date.context_today(self)
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
        if operator in ("in", "not in") and isinstance(value, (list, tuple)):
            dates = [
                fields.Date.subtract(today, days=int(v))
                for v in value
                if v is not False and v is not None
            ]
            return [("last_purchase_date", operator, dates)]
        if operator not in flipped or value is False or value is None:
            raise NotImplementedError(
                self.env._(
                    "Days since the last order cannot be searched with %(operator)s.",
                    operator=operator,
                )
            )
        return [
            (
                "last_purchase_date",
                flipped[operator],
                fields.Date.subtract(today, days=int(value)),
            )
        ]

    def action_open_partner(self):
        """Open the customer of this score row."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_send_mailing(self):
        """A new mailing of Email Marketing to the customers of these rows
        (``res.partner.action_relationship_send_mailing``)."""
        self.check_access("read")
        return self.partner_id.action_relationship_send_mailing()

    def action_add_to_mailing_list(self):
        """The customers of these rows added to a mailing list
        (``res.partner.action_relationship_add_to_mailing_list``)."""
        self.check_access("read")
        return self.partner_id.action_relationship_add_to_mailing_list()
