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
    # loyalty (engine/loyalty.py): weights of the six factors, the ladder
    relationship_loyalty_weight_repeat = fields.Float(
        string="Loyalty Weight: Repeat Purchases", default=3.0
    )
    relationship_loyalty_weight_share = fields.Float(
        string="Loyalty Weight: Share of Wallet", default=2.0
    )
    relationship_loyalty_weight_choosing = fields.Float(
        string="Loyalty Weight: Time Spent Choosing", default=1.0
    )
    relationship_loyalty_weight_price = fields.Float(
        string="Loyalty Weight: Price Sensitivity", default=1.0
    )
    relationship_loyalty_weight_competitors = fields.Float(
        string="Loyalty Weight: Attitude to Competitors", default=2.0
    )
    relationship_loyalty_weight_tolerance = fields.Float(
        string="Loyalty Weight: Tolerance of Incidents", default=1.0
    )
    relationship_loyalty_regular_purchases = fields.Integer(
        string="Regular Customer from (purchase days)",
        default=2,
        help="A customer with at least this many purchase days in the scoring "
        "window is a regular customer (fewer: a new customer).",
    )
    relationship_loyalty_long_standing_days = fields.Integer(
        string="Long-Standing Customer after (days)",
        default=365,
        help="A regular customer whose first purchase is at least this old and "
        "who has the purchase days below is a long-standing customer.",
    )
    relationship_loyalty_long_standing_purchases = fields.Integer(
        string="Long-Standing Customer from (purchase days)", default=4
    )
    relationship_loyalty_loyal_index = fields.Float(
        string="Loyal from Loyalty Index",
        default=70.0,
        help="A long-standing customer whose loyalty index (0-100) reaches this "
        "value is loyal; a loyal customer who is a promoter (latest NPS answer) "
        "or referred other customers is an advocate. The satisfaction trap "
        "report splits loyal and not loyal customers here too.",
    )
    relationship_loyalty_recovery_days = fields.Integer(
        string="Incident Tolerance Window (days)",
        default=90,
        help="After a complaint or a refund, a customer who buys again within "
        "this many days tolerated the incident.",
    )
    relationship_loyalty_satisfied = fields.Float(
        string="Satisfied from (%)",
        default=70.0,
        help="A customer whose latest satisfaction (NPS and CSAT read on 0-100 "
        "%) reaches this value counts as satisfied in the satisfaction trap "
        "report.",
    )
    # what customers buy together (engine/affinity.py)
    relationship_affinity_min_orders = fields.Integer(
        string="Bought Together in at least (orders)",
        default=5,
        help="A pair of products is shown as bought together only when this many "
        "confirmed orders of the scoring window contain both (noise is not "
        "shown).",
    )
    relationship_affinity_min_lift = fields.Float(
        string="Minimum Lift",
        default=1.2,
        help="A pair is kept when buying the first product makes the second this "
        "many times more likely than on average (1 = no association).",
    )
    relationship_suggestion_count = fields.Integer(
        string="Suggested Products per Customer", default=5
    )
    # holdout check of each scoring run (engine/calibration.py)
    relationship_score_holdout_days = fields.Integer(
        string="Holdout Check (days)",
        default=90,
        help="Each scoring run fits the model again on the orders placed before "
        "these last days and compares the purchases it predicts for them with "
        "those made (shown on the run); 0 turns the check off.",
    )

    _sql_constraints = [
        (
            "relationship_score_holdout_days_valid",
            "CHECK(relationship_score_holdout_days >= 0)",
            "The holdout check cannot last a negative number of days.",
        ),
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
        (
            "relationship_loyalty_settings_valid",
            "CHECK(relationship_loyalty_weight_repeat >= 0 "
            "AND relationship_loyalty_weight_share >= 0 "
            "AND relationship_loyalty_weight_choosing >= 0 "
            "AND relationship_loyalty_weight_price >= 0 "
            "AND relationship_loyalty_weight_competitors >= 0 "
            "AND relationship_loyalty_weight_tolerance >= 0 "
            "AND relationship_loyalty_weight_repeat "
            "+ relationship_loyalty_weight_share "
            "+ relationship_loyalty_weight_choosing "
            "+ relationship_loyalty_weight_price "
            "+ relationship_loyalty_weight_competitors "
            "+ relationship_loyalty_weight_tolerance > 0 "
            "AND relationship_loyalty_regular_purchases >= 2 "
            "AND relationship_loyalty_long_standing_purchases "
            ">= relationship_loyalty_regular_purchases "
            "AND relationship_loyalty_long_standing_days >= 0 "
            "AND relationship_loyalty_loyal_index BETWEEN 0 AND 100 "
            "AND relationship_loyalty_recovery_days > 0 "
            "AND relationship_loyalty_satisfied BETWEEN 0 AND 100)",
            "Loyalty settings: weights cannot be negative and one must be positive; "
            "a regular customer needs at least 2 purchase days and a long-standing "
            "one at least as many; the loyal index and the satisfied level are "
            "between 0 and 100 and the tolerance window is at least one day.",
        ),
        (
            "relationship_affinity_settings_valid",
            "CHECK(relationship_affinity_min_orders >= 2 "
            "AND relationship_affinity_min_lift >= 0 "
            "AND relationship_suggestion_count BETWEEN 0 AND 50)",
            "Products bought together: at least 2 orders per pair, a lift that is "
            "not negative and at most 50 suggested products per customer.",
        ),
    ]
