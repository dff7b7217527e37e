from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    relationship_stability_min_orders = fields.Integer(
        string="Orders for Stability", default=2
    )
    relationship_stability_min_days = fields.Integer(
        string="Repeat Span for Stability (days)", default=90
    )
    relationship_decline_factor = fields.Float(
        string="Decline after x Median Interval", default=3.0
    )
    relationship_decline_days = fields.Integer(
        string="Default Decline Delay (days)", default=120
    )
    relationship_churn_days = fields.Integer(string="Churn Horizon (days)", default=365)
    relationship_require_reason = fields.Boolean(
        string="Reason Required for Decline/Churn", default=True
    )

    _sql_constraints = [
        (
            "relationship_thresholds_positive",
            "CHECK(relationship_stability_min_orders >= 2 "
            "AND relationship_stability_min_days >= 0 "
            "AND relationship_decline_factor > 0 "
            "AND relationship_decline_days > 0 "
            "AND relationship_churn_days > relationship_decline_days)",
            "Relationship thresholds: stability needs at least 2 orders, the "
            "decline factor and delay must be positive and the churn horizon "
            "longer than the decline delay.",
        ),
    ]
