from odoo import fields, models

from .res_partner import RFM_SEGMENTS


class CrmRelationshipScoreSnapshot(models.Model):
    """Scores of one customer in one scoring run, for trends and transitions.

    Rows are inserted in bulk by the scoring job (one INSERT per batch); the
    previous segment is the customer's segment in the company's previous run.
    """

    _name = "crm.relationship.score.snapshot"
    _description = "Customer Score Snapshot"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    model_id = fields.Many2one(
        "crm.relationship.score.model",
        string="Scoring Run",
        required=True,
        index=True,
        ondelete="cascade",
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
        help="Segment of the customer in the previous scoring run of the company.",
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
            "UNIQUE(model_id, partner_id)",
            "A customer has one snapshot per scoring run.",
        ),
    ]
