import numpy as np

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .crm_relationship_stage import default_contact_activity_type


class CrmRelationshipTier(models.Model):
    """Value tiers (80/20): the first tier whose rule a customer meets wins.

    * ``clv_percentile``: the customer is in the top ``threshold`` % of the
      company's customers (by lifetime value, or revenue when no scoring is
      installed), after the shares of the percentile tiers before it. Ties are
      never split: a customer's rank is the number of customers with a strictly
      higher value, so equal values always land in the same tier.
    * ``revenue_12m_min``: revenue of the last 12 months is at least
      ``threshold`` (company currency).
    * ``manual``: never assigned automatically.
    """

    _name = "crm.relationship.tier"
    _description = "Customer Value Tier"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    rule = fields.Selection(
        [
            ("clv_percentile", "Top % of customers by value"),
            ("revenue_12m_min", "Minimum revenue (12 months)"),
            ("manual", "Manual"),
        ],
        required=True,
        default="clv_percentile",
    )
    threshold = fields.Float(
        help="Share of customers in % for percentile tiers; minimum revenue over "
        "the last 12 months in company currency for revenue tiers."
    )
    pricelist_id = fields.Many2one(
        "product.pricelist",
        ondelete="set null",
        check_company=True,
        help="Default pricelist of new quotations for customers of this tier.",
    )
    benefits = fields.Html(translate=True, sanitize=True)
    keep_in_touch_days = fields.Integer(
        string="Contact Every (days)",
        default=0,
        help="Keep in touch: contact the customers of this tier at least every "
        "so many days (0: no cadence). A customer not contacted for that long "
        "gets an activity for its owner; with a cadence on its stage too, the "
        "shorter one applies.",
    )
    keep_in_touch_activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Keep-in-touch Activity",
        ondelete="set null",
        default=lambda self: default_contact_activity_type(self.env),
        help="Activity scheduled for the owner of a customer due for contact.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", ondelete="cascade", default=lambda self: self.env.company
    )
    partner_count = fields.Integer(compute="_compute_partner_count")

    _sql_constraints = [
        (
            "keep_in_touch_days_positive",
            "CHECK(keep_in_touch_days >= 0)",
            "The keep-in-touch cadence cannot be negative.",
        ),
    ]

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("value_tier_id", "in", self.ids)], ["value_tier_id"], ["__count"]
            )
        )
        for tier in self:
            tier.partner_count = counts.get(tier, 0)

    @api.constrains("rule", "threshold", "sequence", "active", "company_id")
    def _check_thresholds(self):
        companies = self.company_id
        if any(not tier.company_id for tier in self):
            companies = self.env["res.company"].sudo().search([])
        for company in companies:
            tiers = self.search(
                [("company_id", "in", [company.id, False]), ("active", "=", True)]
            )
            share = 0.0
            previous_amount = None
            for tier in tiers:
                if tier.rule == "clv_percentile":
                    if not 0 < tier.threshold <= 100:
                        raise ValidationError(
                            _(
                                "Tier %(tier)s: the share of customers must be "
                                "between 0 and 100 %%.",
                                tier=tier.name,
                            )
                        )
                    share += tier.threshold
                    if share > 100.0 + 1e-9:
                        raise ValidationError(
                            _(
                                "The percentile tiers overlap: together they "
                                "cover %(share)s %% of the customers (at most 100 %%).",
                                share=round(share, 2),
                            )
                        )
                elif tier.rule == "revenue_12m_min":
                    if tier.threshold < 0:
                        raise ValidationError(
                            _(
                                "Tier %(tier)s: the minimum revenue cannot be "
                                "negative.",
                                tier=tier.name,
                            )
                        )
                    if (
                        previous_amount is not None
                        and tier.threshold >= previous_amount
                    ):
                        raise ValidationError(
                            _(
                                "Revenue tiers must ask for less revenue as they go "
                                "down: %(tier)s asks for %(amount)s, not less than "
                                "the tier before it.",
                                tier=tier.name,
                                amount=tier.threshold,
                            )
                        )
                    previous_amount = tier.threshold

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        used = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search_count([("value_tier_id", "in", self.ids)], limit=1)
        )
        if used:
            raise UserError(
                _(
                    "Customers are in this tier: archive the tier instead of "
                    "deleting it."
                )
            )

    @api.model
    def _assign(self, values, company=None):
        """Map ``{partner_id: value}`` to ``{partner_id: tier}`` for one company
        (:meth:`_assign_arrays` for a few partners given as a mapping).

        ``values`` are lifetime values (or revenue) for the percentile rule and
        the revenue of the last 12 months for the amount rule; pass a pair
        ``(value, revenue_12m)`` to give both. Partners no automatic tier fits get
        an empty tier.
        """
        if not values:
            return {}
        pairs = np.array(
            [v if isinstance(v, tuple) else (v, v) for v in values.values()],
            dtype=np.float64,
        ).reshape(len(values), 2)
        chosen = self._assign_arrays(pairs[:, 0], pairs[:, 1], company)
        return {
            pid: self.browse(tier_id or [])
            for pid, tier_id in zip(values, chosen.tolist(), strict=True)
        }

    @api.model
    def _assign_arrays(self, value, revenue, company=None):
        """The automatic tier of each customer of one company, given as
        arrays (a company may have millions of customers): ``value`` (the
        lifetime value, or the revenue) for the percentile rule, ``revenue``
        (of the last 12 months) for the amount rule. Returns the tier ids, 0
        where no automatic tier fits."""
        company = company or self.env.company
        tiers = self.search(
            [("company_id", "in", [company.id, False]), ("rule", "!=", "manual")]
        )
        value = np.asarray(value, dtype=np.float64)
        revenue = np.asarray(revenue, dtype=np.float64)
        n = len(value)
        chosen = np.zeros(n, dtype=np.int64)
        if not n:
            return chosen
        # rank = number of partners with a strictly greater value (ties share it)
        rank = n - np.searchsorted(np.sort(value), value, side="right")
        above = rank / n * 100.0
        undecided = np.ones(n, dtype=bool)
        cumulative = 0.0
        for tier in tiers:
            if tier.rule == "clv_percentile":
                cumulative += tier.threshold
                hit = undecided & (above < cumulative - 1e-9)
            else:
                hit = undecided & (revenue >= tier.threshold)
            chosen[hit] = tier.id
            undecided &= ~hit
        return chosen
