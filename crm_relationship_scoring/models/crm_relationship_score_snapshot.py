from odoo import fields, models

from .res_partner import RFM_SEGMENTS, RISK_LEVELS


class CrmRelationshipScoreSnapshot(models.Model):
    """A customer's scores when they changed, for trends and transitions.

    The scoring run inserts a row, in one statement at its end, for each
    customer whose segment, churn risk level, tier or stage changed since
    its last row, and a checkpoint row when the last one is older than the
    company's checkpoint interval (monthly by default): the history grows
    with the changes, not with customers times days. ``previous_segment``
    and ``previous_risk_level`` are the values of the customer's previous
    row. Rows outlive the pruned runs and are kept for the months set in
    the settings.
    """

    _name = "crm.relationship.score.snapshot"
    _description = "Customer Score Snapshot"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    run_id = fields.Many2one(
        "crm.relationship.score.run",
        string="Scoring Run",
        index=True,
        ondelete="set null",
        readonly=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, ondelete="cascade", readonly=True
    )
    date = fields.Date(required=True, readonly=True)
    rfm_segment = fields.Selection(RFM_SEGMENTS, string="Segment", readonly=True)
    previous_segment = fields.Selection(
        RFM_SEGMENTS,
        readonly=True,
        help="Segment of the customer in its previous history row.",
    )
    churn_risk_level = fields.Selection(RISK_LEVELS, readonly=True)
    previous_risk_level = fields.Selection(
        RISK_LEVELS,
        readonly=True,
        help="Churn risk level of the customer in its previous history row.",
    )
    relationship_stage_id = fields.Many2one(
        "crm.relationship.stage", string="Stage", readonly=True, ondelete="set null"
    )
    rfm_r_score = fields.Integer(string="R Score", readonly=True, aggregator="avg")
    rfm_f_score = fields.Integer(string="F Score", readonly=True, aggregator="avg")
    rfm_m_score = fields.Integer(string="M Score", readonly=True, aggregator="avg")
    clv_value = fields.Monetary(
        string="Lifetime Value", currency_field="currency_id", readonly=True
    )
    p_alive = fields.Float(
        string="P(alive)", digits=(16, 4), readonly=True, aggregator="avg"
    )
    churn_risk = fields.Float(digits=(16, 4), readonly=True, aggregator="avg")
    health_score = fields.Float(digits=(16, 1), readonly=True, aggregator="avg")
    value_tier_id = fields.Many2one(
        "crm.relationship.tier", readonly=True, ondelete="set null"
    )
    currency_id = fields.Many2one("res.currency", readonly=True, ondelete="restrict")

    _sql_constraints = [
        (
            "partner_run_uniq",
            "UNIQUE(run_id, partner_id)",
            "A customer has one snapshot per scoring run.",
        ),
    ]
