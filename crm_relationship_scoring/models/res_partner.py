import numpy as np

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL

from odoo.addons.crm_relationship.models.res_partner import id_array

from ..engine import clv, next_order, rfm

SCORE_GROUP = "crm_relationship.crm_relationship_group_user"

RFM_SEGMENTS = [(code, rfm.SEGMENT_LABELS[code]) for code in rfm.SEGMENTS]
CLV_METHODS = [
    (clv.METHOD_MODEL, "BG/NBD + Gamma-Gamma"),
    (clv.METHOD_HEURISTIC, "Heuristic"),
]
RISK_LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
#: the loyalty ladder (engine/loyalty.py CLASSES)
LOYALTY_CLASSES = [
    ("prospect", "Prospect"),
    ("new", "New Customer"),
    ("regular", "Regular Customer"),
    ("long_standing", "Long-Standing Customer"),
    ("loyal", "Loyal Customer"),
    ("advocate", "Advocate"),
]
#: satisfaction x loyalty (engine/loyalty.py QUADRANTS)
SATISFACTION_QUADRANTS = [
    ("satisfied_loyal", "Satisfied and Loyal"),
    ("trap", "Satisfied but Not Loyal (the Trap)"),
    ("loyal_unsatisfied", "Loyal but Dissatisfied"),
    ("neither", "Neither Satisfied nor Loyal"),
]
#: the loyalty factors stored per customer (0-1, empty when not measured), in
#: the order of engine/loyalty.py FACTORS
LOYALTY_FACTOR_FIELDS = (
    "loyalty_repeat",
    "loyalty_share_of_wallet",
    "loyalty_choosing",
    "loyalty_price",
    "loyalty_competitors",
    "loyalty_tolerance",
)
NEXT_ORDER_BASES = [
    (next_order.BASIS_MODEL, "Fitted model"),
    (next_order.BASIS_HEURISTIC, "Own pace"),
    (next_order.BASIS_ONE_TIME, "One-time buyer"),
]

#: the score fields of the customer, read from its row of
#: ``crm.relationship.score`` (same names on both models)
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
    "next_order_date",
    "next_order_low_date",
    "next_order_high_date",
    "next_order_basis",
    "next_order_overdue",
    "loyalty_index",
    "loyalty_class",
    "loyalty_factors_used",
    *LOYALTY_FACTOR_FIELDS,
    "satisfaction_level",
    "satisfaction_quadrant",
)
#: partner fields read from the score row or its run, under another name
SCORE_LINK_FIELDS = ("score_date", "score_run_id", "score_currency_id")
#: the operators a score field of the partner can be searched with
SCORE_OPERATORS = (
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not in",
    "like",
    "ilike",
    "not like",
    "not ilike",
    "=like",
    "=ilike",
)


def _score_field(field_type, *args, **kwargs):
    """A partner field read from the customer's score row and searched in the
    score table (see :meth:`ResPartner._compute_score_fields`)."""
    name = kwargs.pop("name")
    return field_type(
        *args,
        compute="_compute_score_fields",
        search=f"_search_{name}",
        groups=SCORE_GROUP,
        **kwargs,
    )


def _score_search(name):
    def search(self, operator, value):
        return self._score_search_domain(name, operator, value)

    search.__name__ = f"_search_{name}"
    return search


def _positions(keys, ids):
    """Where each of ``ids`` is in ``keys`` (distinct, any order): ``(found,
    position)``, a position of 0 where not found."""
    if not len(keys):
        return np.zeros(len(ids), dtype=bool), np.zeros(len(ids), dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    ranks = np.minimum(np.searchsorted(keys[order], ids), len(keys) - 1)
    position = order[ranks]
    return keys[position] == ids, position


class ResPartner(models.Model):
    _inherit = "res.partner"

    rfm_recency_days = _score_field(
        fields.Integer, name="rfm_recency_days", string="Days Since Last Order"
    )
    rfm_frequency = _score_field(
        fields.Integer,
        name="rfm_frequency",
        string="Purchase Days",
        help="Days with at least one confirmed order within the scoring window.",
    )
    rfm_monetary = _score_field(
        fields.Monetary,
        name="rfm_monetary",
        string="Net Revenue",
        currency_field="score_currency_id",
        help="Confirmed sales of the scoring window net of posted refunds, in "
        "company currency.",
    )
    rfm_r_score = _score_field(fields.Integer, name="rfm_r_score", string="R Score")
    rfm_f_score = _score_field(fields.Integer, name="rfm_f_score", string="F Score")
    rfm_m_score = _score_field(fields.Integer, name="rfm_m_score", string="M Score")
    rfm_code = _score_field(fields.Char, name="rfm_code", string="RFM")
    rfm_segment = _score_field(
        fields.Selection, RFM_SEGMENTS, name="rfm_segment", string="Segment"
    )
    purchase_gap_days = _score_field(
        fields.Float,
        name="purchase_gap_days",
        string="Usual Gap (days)",
        digits=(16, 1),
        help="Average number of days between two purchase days (repeat customers).",
    )
    clv_value = _score_field(
        fields.Monetary,
        name="clv_value",
        string="Lifetime Value",
        currency_field="score_currency_id",
        help="Discounted expected gross margin of the customer over the horizon "
        "set in the settings.",
    )
    clv_method = _score_field(
        fields.Selection,
        CLV_METHODS,
        name="clv_method",
        string="Lifetime Value Method",
    )
    p_alive = _score_field(
        fields.Float,
        name="p_alive",
        string="P(alive)",
        digits=(16, 4),
        help="Probability that the customer is still active.",
    )
    expected_purchases = _score_field(
        fields.Float,
        name="expected_purchases",
        digits=(16, 2),
        help="Expected purchase days within the horizon.",
    )
    churn_risk = _score_field(
        fields.Float, name="churn_risk", digits=(16, 4), help="1 - P(alive)."
    )
    churn_risk_level = _score_field(
        fields.Selection, RISK_LEVELS, name="churn_risk_level"
    )
    value_at_risk = _score_field(
        fields.Monetary,
        name="value_at_risk",
        currency_field="score_currency_id",
        help="Lifetime value times churn risk.",
    )
    health_score = _score_field(
        fields.Float,
        name="health_score",
        digits=(16, 1),
        help="0-100, from the RFM scores, P(alive) and complaints with the weights "
        "of the settings.",
    )
    next_order_date = _score_field(
        fields.Date,
        name="next_order_date",
        string="Next Order Expected",
        help="The last order plus the gap expected after it (median): the day "
        "the next order is expected if the customer is still active; empty "
        "for one-time buyers.",
    )
    next_order_low_date = _score_field(
        fields.Date, name="next_order_low_date", string="Next Order from"
    )
    next_order_high_date = _score_field(
        fields.Date, name="next_order_high_date", string="Next Order until"
    )
    next_order_basis = _score_field(
        fields.Selection,
        NEXT_ORDER_BASES,
        name="next_order_basis",
        string="Next Order Basis",
    )
    next_order_overdue = _score_field(
        fields.Boolean,
        name="next_order_overdue",
        help="Longer since the last order than the expected gap plus the margin "
        "of the settings.",
    )
    loyalty_index = _score_field(
        fields.Float,
        name="loyalty_index",
        digits=(16, 1),
        help="0-100: weighted mean of the loyalty factors measured for the "
        "customer (weights in the settings); a factor without data is left "
        "out, not counted as zero.",
    )
    loyalty_class = _score_field(
        fields.Selection,
        LOYALTY_CLASSES,
        name="loyalty_class",
        string="Loyalty",
        help="The loyalty ladder: new (one purchase day), regular (repeat "
        "purchases), long-standing (purchases over a long time), loyal "
        "(long-standing with a high loyalty index), advocate (loyal and a "
        "promoter, or referred other customers). Prospects have not bought.",
    )
    loyalty_factors_used = _score_field(
        fields.Integer,
        name="loyalty_factors_used",
        string="Loyalty Factors Measured",
        help="Bit mask of the factors measured (engine/loyalty.py FACTORS).",
    )
    loyalty_repeat = _score_field(
        fields.Float,
        name="loyalty_repeat",
        string="Repeat Purchases",
        help="0-1 from the purchase days and the tenure of the scoring window.",
    )
    loyalty_share_of_wallet = _score_field(
        fields.Float,
        name="loyalty_share_of_wallet",
        string="Share of Wallet",
        help="0-1: the customer's own estimate, in their latest survey answer, of "
        "the share of their spending on such products that goes to us.",
    )
    loyalty_choosing = _score_field(
        fields.Float,
        name="loyalty_choosing",
        string="Time Spent Choosing",
        help="0-1: 1 when the customer confirms quotations at once; 0.5 after a "
        "week (median days from a quotation's creation to its confirmation).",
    )
    loyalty_price = _score_field(
        fields.Float,
        name="loyalty_price",
        string="Price Insensitivity",
        help="0-1: one minus the share of the customer's revenue bought with a "
        "discount, a promotion or a discounted pricelist.",
    )
    loyalty_competitors = _score_field(
        fields.Float,
        name="loyalty_competitors",
        string="Attitude to Competitors",
        help="0-1: 1 when the customer answered they would never consider another "
        "supplier (latest survey answer).",
    )
    loyalty_tolerance = _score_field(
        fields.Float,
        name="loyalty_tolerance",
        string="Tolerance of Incidents",
        help="0-1: share of the customer's complaints and refunds after which "
        "they bought again within the window of the settings.",
    )
    satisfaction_level = _score_field(
        fields.Float,
        name="satisfaction_level",
        string="Satisfaction (%)",
        digits=(16, 1),
        help="Latest satisfaction (NPS and CSAT read on 0-100 %) when the "
        "customer answered a survey; set by the nightly job.",
    )
    satisfaction_quadrant = _score_field(
        fields.Selection,
        SATISFACTION_QUADRANTS,
        name="satisfaction_quadrant",
        string="Satisfaction x Loyalty",
        help="A satisfied customer is not necessarily loyal: customers who "
        "answered a satisfaction survey placed on satisfaction and loyalty.",
    )
    loyalty_explanation = fields.Text(
        compute="_compute_loyalty_explanation",
        groups=SCORE_GROUP,
        help="The loyalty factors in words, in the reader's language: which "
        "were measured and which were left out.",
    )
    score_date = _score_field(
        fields.Date,
        name="score_date",
        string="Scored On",
        help="Day of the last scoring run of the customer's company.",
    )
    score_explanation = fields.Text(
        compute="_compute_score_explanation",
        groups=SCORE_GROUP,
        help="The scores in words, in the reader's language (rendered when read "
        "from the figures of the last run, never stored).",
    )
    score_run_id = _score_field(
        fields.Many2one,
        "crm.relationship.score.run",
        name="score_run_id",
        string="Scoring Run",
        help="The last scoring run of the customer's company.",
    )
    score_currency_id = fields.Many2one(
        "res.currency", compute="_compute_score_fields", groups=SCORE_GROUP
    )
    relationship_suggestion_ids = fields.One2many(
        "crm.relationship.product.suggestion",
        "partner_id",
        string="Suggested Products",
        readonly=True,
        groups=SCORE_GROUP,
        help="Products often bought with what the customer bought in the scoring "
        "window, which the customer has not bought (computed every night).",
    )
    score_snapshot_ids = fields.One2many(
        "crm.relationship.score.snapshot",
        "partner_id",
        string="Score History",
        readonly=True,
        groups=SCORE_GROUP,
    )

    for _name in (*SCORE_FIELDS, "score_date", "score_run_id"):
        locals()[f"_search_{_name}"] = _score_search(_name)
    del _name

    # ------------------------------------------------------------------
    # Scores read from crm.relationship.score
    # ------------------------------------------------------------------
    def _score_rows(self):
        """The score row of each partner of ``self``: ``{partner_id: row}``.

        A customer has one row per company that scored it (normally one: the
        company of the customer, or of its last order for a customer shared
        by the companies); the row of the current company comes first, then
        the row of another allowed company. Read with the reader's rights
        (multi-company rules of the score table).
        """
        ids = [pid for pid in self.ids if pid]
        if not ids:
            return {}
        rows = self.env["crm.relationship.score"].search_fetch(
            [("partner_id", "in", ids)],
            [
                "partner_id",
                "company_id",
                "currency_id",
                *SCORE_FIELDS[1:],
                "last_purchase_date",
            ],
            order="id",
        )
        current = self.env.company.id
        chosen = {}
        for row in rows:
            pid = row.partner_id.id
            if pid not in chosen or row.company_id.id == current:
                chosen[pid] = row
        return chosen

    @api.model
    def _score_last_runs(self, company_ids=None):
        """The last scoring run of each company (done, or running when it is
        the company's first): ``{company_id: run}``."""
        Run = self.env["crm.relationship.score.run"].sudo()
        domain = [("state", "in", ("done", "running"))]
        if company_ids is not None:
            domain.append(("company_id", "in", list(company_ids)))
        last = {}
        for run in Run.search_fetch(
            domain, ["company_id", "date", "state"], order="date desc, id desc"
        ):
            current = last.get(run.company_id.id)
            # the last finished run; a company's first run while it runs
            if not current or (current.state != "done" and run.state == "done"):
                last[run.company_id.id] = run
        return last

    @api.depends_context("company", "allowed_company_ids", "tz")
    def _compute_score_fields(self):
        rows = self._score_rows()
        runs = self._score_last_runs({row.company_id.id for row in rows.values()})
        Run = self.env["crm.relationship.score.run"]
        for partner in self:
            row = rows.get(partner.id)
            if not row:
                for name in SCORE_FIELDS:
                    partner[name] = False
                # first rung of the loyalty ladder: a customer who never bought
                if not partner.parent_id and not partner.relationship_order_count:
                    partner.loyalty_class = "prospect"
                partner.score_date = False
                partner.score_run_id = False
                partner.score_currency_id = False
                continue
            for name in SCORE_FIELDS:
                partner[name] = row[name]
            run = runs.get(row.company_id.id)
            partner.score_run_id = Run.browse(run.id) if run else Run
            partner.score_date = run.date if run else False
            partner.score_currency_id = row.currency_id

    @api.model
    def _score_search_domain(self, name, operator, value):
        """Domain on the partners whose score row satisfies ``(name,
        operator, value)``; a partner without score row matches when an
        empty value would (``rfm_segment = False``, ``clv_value != 100``)."""
        if not self.env.su and not self.env.user.has_group(SCORE_GROUP):
            raise AccessError(
                self.env._("Only relationship users can see customer scores.")
            )
        if operator not in SCORE_OPERATORS:
            raise UserError(
                self.env._(
                    "The scores cannot be searched with the operator %(operator)s.",
                    operator=operator,
                )
            )
        Score = self.env["crm.relationship.score"]
        if name in ("score_date", "score_run_id"):
            # the same for every customer of a company: compared per company
            runs = self._score_last_runs()
            matching = [
                cid
                for cid, run in runs.items()
                if self._score_run_matches(name, run, operator, value)
            ]
            rows = Score._search([("company_id", "in", matching)])
            null = self._score_run_matches(name, None, operator, value)
        else:
            rows = Score._search([(name, operator, value)])
            null = self._score_null_matches(name, operator, value)
        in_rows = rows.subselect(SQL.identifier(rows.table, "partner_id"))
        if not null:
            return [("id", "in", in_rows)]
        scored = Score._search([])
        return [
            "|",
            ("id", "in", in_rows),
            (
                "id",
                "not in",
                scored.subselect(SQL.identifier(scored.table, "partner_id")),
            ),
        ]

    @api.model
    def _score_run_matches(self, name, run, operator, value):
        """Whether ``score_date`` or ``score_run_id`` of the customers scored
        by ``run`` (``None``: not scored) satisfies ``operator value``."""
        if name == "score_date":
            current = run.date if run else False
            convert = fields.Date.to_date
        else:
            current = run.id if run else False
            convert = int
        if operator in ("in", "not in"):
            values = value if isinstance(value, (list, tuple)) else [value]
            found = any(
                (not v and not current) or (v and current == convert(v)) for v in values
            )
            return found if operator == "in" else not found
        if value is False or value is None:
            if operator in ("=", "!="):
                return (not current) == (operator == "=")
            return False
        value = convert(value)
        if operator == "=":
            return current == value
        if operator == "!=":
            return current != value
        if not current or operator not in ("<", "<=", ">", ">="):
            return False
        return {
            "<": current < value,
            "<=": current <= value,
            ">": current > value,
            ">=": current >= value,
        }[operator]

    @api.model
    def _score_null_matches(self, name, operator, value):
        """Whether Odoo's SQL for ``(name, operator, value)`` on the score
        table is true for an empty (NULL) value: evaluated by PostgreSQL on a
        one-row table, with the same SQL as the search."""
        Score = self.env["crm.relationship.score"]
        field = Score._fields[name]
        if not field.store:
            return False
        query = Score._search([])
        condition = Score._condition_to_sql("t", name, operator, value, query)
        self.env.cr.execute(
            SQL(
                "SELECT EXISTS(SELECT 1 FROM (SELECT NULL::%s AS %s) AS t WHERE %s)",
                SQL(field.column_type[1]),
                SQL.identifier(name),
                condition,
            )
        )
        return self.env.cr.fetchone()[0]

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
            | self._relationship_fixed_fields()
            | {"score_snapshot_ids"}
        )

    @api.model
    def _relationship_fixed_fields(self):
        """The scores live in ``crm.relationship.score``, rewritten by the
        scoring job: nobody corrects them on the partner."""
        return (
            super()._relationship_fixed_fields()
            | set(SCORE_FIELDS)
            | set(SCORE_LINK_FIELDS)
            | {"score_explanation"}
        )

    @api.model
    def _relationship_loyalty_inputs(self, partners):
        """What the customers tell about their loyalty (surveys), none by
        default: ``{name: {partner_id: value}}`` with ``share_of_wallet``
        (0-100 %), ``competitors`` (0-10, would consider another supplier),
        ``satisfaction`` (0-1) and ``promoter`` (True). A partner missing
        from a mapping has no value (the factor is left out of its index)."""
        return {}

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
        Run = self.env["crm.relationship.score.run"]
        lang_code = self.env.lang or "en_US"
        formats = {}
        for partner in scored:
            currency = partner.score_currency_id or self.env.company.currency_id
            if currency not in formats:
                formats[currency] = Run._score_amount_format(lang_code, currency)
            bins = (
                partner.score_run_id.company_id or self.env.company
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

    @api.depends_context("lang")
    @api.depends("loyalty_index", "loyalty_class", "loyalty_factors_used")
    def _compute_loyalty_explanation(self):
        """The loyalty index and its factors in words, in the reader's
        language: the value of each factor measured and, for the others, why
        it was left out of the index (rendered when read, never stored)."""
        labels = dict(self._fields["loyalty_class"]._description_selection(self.env))
        factor_labels = [
            self._fields[name]._description_string(self.env)
            for name in LOYALTY_FACTOR_FIELDS
        ]
        missing = {
            "loyalty_share_of_wallet": self.env._("not measured: no survey answer"),
            "loyalty_competitors": self.env._("not measured: no survey answer"),
            "loyalty_tolerance": self.env._(
                "not measured: no complaint or refund to judge"
            ),
        }
        for partner in self:
            if not partner.loyalty_factors_used:
                partner.loyalty_explanation = labels.get(partner.loyalty_class) or False
                continue
            used = partner.loyalty_factors_used
            index = round(partner.loyalty_index)
            lines = [
                self.env._(
                    "Loyalty index %(index)s / 100 (%(rung)s), from %(used)s of "
                    "%(total)s factors:",
                    index=index,
                    rung=labels.get(partner.loyalty_class, ""),
                    used=bin(used).count("1"),
                    total=len(LOYALTY_FACTOR_FIELDS),
                )
            ]
            for bit, (name, label) in enumerate(
                zip(LOYALTY_FACTOR_FIELDS, factor_labels, strict=True)
            ):
                if used & (1 << bit):
                    value = f"{round(partner[name] * 100)} %"
                else:
                    value = missing.get(name) or self.env._(
                        "not measured (weight 0 or no data)"
                    )
                lines.append(f"• {label}: {value}")
            partner.loyalty_explanation = "\n".join(lines)

    def _search_loyalty_class(self, operator, value):
        """Like the other scores, plus the prospects: commercial partners
        without a score row nor any confirmed order."""
        domain = self._score_search_domain("loyalty_class", operator, value)
        values = value if isinstance(value, (list, tuple)) else [value]
        if operator in ("=", "in") and "prospect" in values:
            Score = self.env["crm.relationship.score"]
            scored = Score._search([])
            company = str(self.env.company.id)
            prospects = [
                ("parent_id", "=", False),
                (
                    "id",
                    "not in",
                    scored.subselect(SQL.identifier(scored.table, "partner_id")),
                ),
                (
                    "id",
                    "not in",
                    SQL(
                        "(SELECT id FROM res_partner "
                        "WHERE (relationship_order_count->>%s)::int > 0)",
                        company,
                    ),
                ),
            ]
            domain = expression.OR([domain, prospects])
        return domain

    # ------------------------------------------------------------------
    # Lifecycle rules and tiers of crm_relationship, refined by the scores
    # ------------------------------------------------------------------
    def _relationship_fetch_stats(self, today=None, facts=None):
        """Add the probability of being alive (``p_alive``) of the last scoring
        run to each statistic (``None`` for partners never scored)."""
        result = super()._relationship_fetch_stats(today, facts=facts)
        self.env["crm.relationship.score"].flush_model(["partner_id", "p_alive"])
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT ON (s.partner_id) s.partner_id, s.p_alive "
                "FROM crm_relationship_score s "
                "JOIN res_partner p ON p.id = s.partner_id "
                "WHERE s.partner_id = ANY(%s) "
                "ORDER BY s.partner_id, s.company_id = p.company_id DESC, s.id",
                list(result),
            )
        )
        alive = dict(self.env.cr.fetchall())
        for partner_id, values in result.items():
            values["p_alive"] = alive.get(partner_id)
        return result

    @api.model
    def _relationship_rule_columns(self, stats, ids):
        """Add the probability of being alive (``p_alive``, NaN for partners
        never scored) to the columns of the stage rules."""
        rules = super()._relationship_rule_columns(stats, ids)
        rules["p_alive"] = [
            np.nan if stats[pid].get("p_alive") is None else stats[pid]["p_alive"]
            for pid in ids
        ]
        return rules

    @api.model
    def _relationship_target_phases(self, rules, company, today):
        """Formation and stability customers unlikely to be still active decline.

        ``rules["p_alive"]`` comes from the scoring run (NaN: never scored, the
        base addon's rules only); the threshold is the company's "Decline
        below P(alive)" setting.
        """
        phases = super()._relationship_target_phases(rules, company, today)
        if "p_alive" not in rules:
            return phases
        p_alive = np.asarray(rules["p_alive"], dtype=np.float64)
        threshold = company.relationship_score_decline_p_alive / 100.0
        active = (phases == "formation") | (phases == "stability")
        phases[active & (p_alive < threshold)] = "decline"
        return phases

    @api.model
    def _relationship_tier_values(self, ids, revenue=None):
        """Rank by customer lifetime value once customers have been scored
        (0 for the partners of ``ids`` without a score): the CLV of the
        current company's score row, or else of the partner's first other
        one.

        Falls back on the revenue of the base addon while none of ``ids``
        has a score (before the first scoring run). The company's score rows
        are read in one query (the tiers of a whole company are assigned at
        once) and matched to ``ids`` on arrays; the other companies' rows
        only for partners without one of the company's.
        """
        value, revenue = super()._relationship_tier_values(ids, revenue)
        self.env["crm.relationship.score"].flush_model(
            ["partner_id", "company_id", "clv_value"]
        )
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, COALESCE(clv_value, 0)::float8 "
                "FROM crm_relationship_score WHERE company_id = %s",
                self.env.company.id,
            )
        )
        rows = self.env.cr.fetchall()
        partners = np.array([row[0] for row in rows], dtype=np.int64)
        clv = np.array([row[1] for row in rows], dtype=np.float64)
        del rows
        return self._relationship_tier_clv(ids, partners, clv, value, revenue)

    @api.model
    def _relationship_tier_clv(self, ids, partners, clv, value, revenue):
        """:meth:`_relationship_tier_values` given the CLV of the current
        company's score rows (``partners``, ``clv``: arrays), read from the
        table, or planned by the scoring job before it writes them: the
        other companies' rows are read for the partners of ``ids`` without
        one of the company's; ``(value, revenue)`` unchanged while none of
        ``ids`` has a score."""
        ids = np.asarray(ids, dtype=np.int64)
        company = self.env.company.id
        cr = self.env.cr
        found, position = _positions(partners, ids)
        missing = ids[~found]
        if len(missing):
            cr.execute(
                SQL(
                    """
                    SELECT DISTINCT ON (partner_id) partner_id,
                           COALESCE(clv_value, 0)::float8
                      FROM crm_relationship_score
                     WHERE partner_id = ANY(%s) AND company_id != %s
                     ORDER BY partner_id, id
                    """,
                    id_array(missing.tolist()),
                    company,
                )
            )
            rows = cr.fetchall()
            partners = np.concatenate(
                [partners, np.array([row[0] for row in rows], dtype=np.int64)]
            )
            clv = np.concatenate([clv, np.array([row[1] for row in rows], float)])
            found, position = _positions(partners, ids)
        if not found.any():
            return value, revenue
        return np.where(found, clv[position], 0.0), revenue

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_score_trend(self):
        """Trend of the scores of this customer over the scoring runs."""
        self.env["crm.relationship.score.run"]._score_check_access()
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_scoring.crm_relationship_score_snapshot_action_trend"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["display_name"] = self.env._(
            "Score Trend: %(customer)s", customer=self.commercial_partner_id.name
        )
        return action
