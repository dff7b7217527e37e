from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    relationship_stability_min_orders = fields.Integer(
        related="company_id.relationship_stability_min_orders", readonly=False
    )
    relationship_stability_min_days = fields.Integer(
        related="company_id.relationship_stability_min_days", readonly=False
    )
    relationship_decline_factor = fields.Float(
        related="company_id.relationship_decline_factor", readonly=False
    )
    relationship_decline_days = fields.Integer(
        related="company_id.relationship_decline_days", readonly=False
    )
    relationship_churn_days = fields.Integer(
        related="company_id.relationship_churn_days", readonly=False
    )
    relationship_require_reason = fields.Boolean(
        related="company_id.relationship_require_reason", readonly=False
    )
