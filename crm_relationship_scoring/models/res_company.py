from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    relationship_score_requested = fields.Boolean(
        string="Scores Recompute Requested",
        copy=False,
        help="Set by 'Recompute now' for a company too large to be scored while "
        "the user waits: the next run of the scheduled action scores it again "
        "even if it was already scored today.",
    )
    relationship_score_lookback_days = fields.Integer(
        string="Scoring Window (days)",
        default=1095,
        help="Only confirmed orders of this many days before the scoring day are "
        "taken into account.",
    )
    relationship_score_horizon_months = fields.Integer(
        string="Lifetime Value Horizon (months)", default=12
    )
    relationship_score_discount_rate = fields.Float(
        string="Annual Discount Rate (%)",
        default=10.0,
        help="Future purchases are discounted at this yearly rate (compounded "
        "monthly) in the customer lifetime value.",
    )
    relationship_score_margin = fields.Float(
        string="Gross Margin (%)",
        default=100.0,
        help="The lifetime value is the expected revenue times this margin; keep "
        "100 % to express it as revenue.",
    )
    relationship_score_bins = fields.Integer(
        string="RFM Score Levels",
        default=5,
        help="Number of levels of the recency, frequency and monetary scores "
        "(5 = quintiles). Segments always read the scores on a 1-5 scale.",
    )
    relationship_score_min_customers = fields.Integer(
        string="Customers for the Probabilistic Model",
        default=20,
        help="Below this number of customers the lifetime value uses a simple "
        "heuristic instead of the BG/NBD and Gamma-Gamma models.",
    )
    relationship_score_risk_medium = fields.Float(
        string="Medium Churn Risk from (%)", default=30.0
    )
    relationship_score_risk_high = fields.Float(
        string="High Churn Risk from (%)",
        default=60.0,
        help="Customers at or above this churn risk are at risk; the valuable ones "
        "get an activity for their owner.",
    )
    relationship_score_high_value_percentile = fields.Float(
        string="High-Value Customers (top %)",
        default=20.0,
        help="Share of the customers, ranked by net revenue of the scoring window, "
        "whose owner gets an activity when their churn risk is high.",
    )
    relationship_score_decline_p_alive = fields.Float(
        string="Decline below P(alive) (%)",
        default=30.0,
        help="A customer in formation or stability whose probability of still "
        "being active falls below this value moves to Decline (0 disables it).",
    )
    relationship_next_order_margin = fields.Float(
        string="Next Order Overdue after (%)",
        default=50.0,
        help="A repeat customer is overdue when the days since their last order "
        "exceed the gap expected before their next order by this share (50 % = "
        "half as long again).",
    )
    relationship_score_keep_runs = fields.Integer(
        string="Scoring Runs Kept",
        default=24,
        help="Older scoring runs are deleted (their history rows are kept).",
    )
    relationship_score_checkpoint_days = fields.Integer(
        string="History Checkpoint (days)",
        default=30,
        help="Besides the changes of segment, risk level, tier and stage, a "
        "history row records the scores of a customer whose last row is this "
        "old (the trend of the customer form); 0 records changes only.",
    )
    relationship_score_history_months = fields.Integer(
        string="History Kept (months)",
        default=24,
        help="Older history rows are deleted; 0 keeps them all.",
    )
    relationship_health_weight_rfm = fields.Float(
        string="Health Weight: RFM", default=40.0
    )
    relationship_health_weight_alive = fields.Float(
        string="Health Weight: P(alive)", default=40.0
    )
    relationship_health_weight_complaints = fields.Float(
        string="Health Weight: Complaints", default=20.0
    )

    _sql_constraints = [
        (
            "relationship_next_order_margin_valid",
            "CHECK(relationship_next_order_margin >= 0)",
            "The margin after which a next order is overdue cannot be negative.",
        ),
        (
            "relationship_score_settings_valid",
            "CHECK(relationship_score_lookback_days > 0 "
            "AND relationship_score_horizon_months BETWEEN 1 AND 120 "
            "AND relationship_score_discount_rate >= 0 "
            "AND relationship_score_margin > 0 "
            "AND relationship_score_margin <= 100 "
            "AND relationship_score_bins BETWEEN 2 AND 9 "
            "AND relationship_score_min_customers >= 1 "
            "AND relationship_score_risk_medium >= 0 "
            "AND relationship_score_risk_medium <= relationship_score_risk_high "
            "AND relationship_score_risk_high <= 100 "
            "AND relationship_score_high_value_percentile > 0 "
            "AND relationship_score_high_value_percentile <= 100 "
            "AND relationship_score_decline_p_alive BETWEEN 0 AND 100 "
            "AND relationship_score_keep_runs >= 2 "
            "AND relationship_score_checkpoint_days >= 0 "
            "AND relationship_score_history_months >= 0)",
            "Scoring settings: the window, horizon (1 to 120 months), margin (up to "
            "100 %) and high-value share must be positive, the score levels between "
            "2 and 9, the medium churn risk at most the high one (both in 0-100 %) "
            "and at least 2 scoring runs must be kept.",
        ),
        (
            "relationship_health_weights_valid",
            "CHECK(relationship_health_weight_rfm >= 0 "
            "AND relationship_health_weight_alive >= 0 "
            "AND relationship_health_weight_complaints >= 0 "
            "AND relationship_health_weight_rfm + relationship_health_weight_alive "
            "+ relationship_health_weight_complaints > 0)",
            "Health weights cannot be negative and at least one must be positive.",
        ),
    ]
