from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    relationship_score_lookback_days = fields.Integer(
        related="company_id.relationship_score_lookback_days", readonly=False
    )
    relationship_score_horizon_months = fields.Integer(
        related="company_id.relationship_score_horizon_months", readonly=False
    )
    relationship_score_discount_rate = fields.Float(
        related="company_id.relationship_score_discount_rate", readonly=False
    )
    relationship_score_margin = fields.Float(
        related="company_id.relationship_score_margin", readonly=False
    )
    relationship_score_bins = fields.Integer(
        related="company_id.relationship_score_bins", readonly=False
    )
    relationship_score_min_customers = fields.Integer(
        related="company_id.relationship_score_min_customers", readonly=False
    )
    relationship_score_risk_medium = fields.Float(
        related="company_id.relationship_score_risk_medium", readonly=False
    )
    relationship_score_risk_high = fields.Float(
        related="company_id.relationship_score_risk_high", readonly=False
    )
    relationship_score_high_value_percentile = fields.Float(
        related="company_id.relationship_score_high_value_percentile", readonly=False
    )
    relationship_next_order_margin = fields.Float(
        related="company_id.relationship_next_order_margin", readonly=False
    )
    relationship_score_decline_p_alive = fields.Float(
        related="company_id.relationship_score_decline_p_alive", readonly=False
    )
    relationship_score_keep_runs = fields.Integer(
        related="company_id.relationship_score_keep_runs", readonly=False
    )
    relationship_score_checkpoint_days = fields.Integer(
        related="company_id.relationship_score_checkpoint_days", readonly=False
    )
    relationship_score_history_months = fields.Integer(
        related="company_id.relationship_score_history_months", readonly=False
    )
    relationship_health_weight_rfm = fields.Float(
        related="company_id.relationship_health_weight_rfm", readonly=False
    )
    relationship_health_weight_alive = fields.Float(
        related="company_id.relationship_health_weight_alive", readonly=False
    )
    relationship_health_weight_complaints = fields.Float(
        related="company_id.relationship_health_weight_complaints", readonly=False
    )
    relationship_loyalty_weight_repeat = fields.Float(
        related="company_id.relationship_loyalty_weight_repeat", readonly=False
    )
    relationship_loyalty_weight_share = fields.Float(
        related="company_id.relationship_loyalty_weight_share", readonly=False
    )
    relationship_loyalty_weight_choosing = fields.Float(
        related="company_id.relationship_loyalty_weight_choosing", readonly=False
    )
    relationship_loyalty_weight_price = fields.Float(
        related="company_id.relationship_loyalty_weight_price", readonly=False
    )
    relationship_loyalty_weight_competitors = fields.Float(
        related="company_id.relationship_loyalty_weight_competitors", readonly=False
    )
    relationship_loyalty_weight_tolerance = fields.Float(
        related="company_id.relationship_loyalty_weight_tolerance", readonly=False
    )
    relationship_loyalty_regular_purchases = fields.Integer(
        related="company_id.relationship_loyalty_regular_purchases", readonly=False
    )
    relationship_loyalty_long_standing_days = fields.Integer(
        related="company_id.relationship_loyalty_long_standing_days", readonly=False
    )
    relationship_loyalty_long_standing_purchases = fields.Integer(
        related="company_id.relationship_loyalty_long_standing_purchases",
        readonly=False,
    )
    relationship_loyalty_loyal_index = fields.Float(
        related="company_id.relationship_loyalty_loyal_index", readonly=False
    )
    relationship_loyalty_recovery_days = fields.Integer(
        related="company_id.relationship_loyalty_recovery_days", readonly=False
    )
    relationship_loyalty_satisfied = fields.Float(
        related="company_id.relationship_loyalty_satisfied", readonly=False
    )
    relationship_affinity_min_orders = fields.Integer(
        related="company_id.relationship_affinity_min_orders", readonly=False
    )
    relationship_affinity_min_lift = fields.Float(
        related="company_id.relationship_affinity_min_lift", readonly=False
    )
    relationship_suggestion_count = fields.Integer(
        related="company_id.relationship_suggestion_count", readonly=False
    )
    relationship_score_holdout_days = fields.Integer(
        related="company_id.relationship_score_holdout_days", readonly=False
    )
    relationship_score_last_run_id = fields.Many2one(
        "crm.relationship.score.run",
        string="Last Scoring Run",
        compute="_compute_relationship_score_last_run_id",
    )

    def _compute_relationship_score_last_run_id(self):
        Run = self.env["crm.relationship.score.run"]
        for settings in self:
            settings.relationship_score_last_run_id = Run.search(
                [("company_id", "=", settings.company_id.id)], limit=1
            )

    def action_relationship_recompute_scores(self):
        """Recompute the scores of the current company now (settings button)."""
        self.env["crm.relationship.score.run"]._score_check_access(manager=True)
        self.ensure_one()
        return self.env["crm.relationship.score.run"].action_recompute(self.company_id)
