from odoo import fields, models

FOLLOWUP_MODES = [
    ("activity", "Activity for the relationship owner"),
    ("complaint", "Complaint"),
    ("none", "Nothing"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    survey_order_survey_id = fields.Many2one(
        "survey.survey",
        string="Survey after Orders",
        ondelete="set null",
        domain="[('relationship_kind', '!=', False)]",
    )
    survey_order_delay = fields.Integer(
        string="Days after Order Confirmation", default=7
    )
    survey_complaint_survey_id = fields.Many2one(
        "survey.survey",
        string="Survey after Complaints",
        ondelete="set null",
        domain="[('relationship_kind', '!=', False)]",
    )
    survey_periodic_survey_id = fields.Many2one(
        "survey.survey",
        string="Periodic Survey of Stable Customers",
        ondelete="set null",
        domain="[('relationship_kind', '!=', False)]",
    )
    survey_periodic_days = fields.Integer(
        string="Periodic Survey Interval (days)", default=365
    )
    survey_throttle_days = fields.Integer(
        string="At Most One Invitation per Customer every (days)", default=30
    )
    survey_deadline_days = fields.Integer(
        string="Invitation Valid for (days)", default=14
    )
    survey_health_weight = fields.Float(
        string="Weight of Satisfaction in the Health Score",
        default=20.0,
        help="Used by the health score of customers when the scoring addon is "
        "installed; 0 leaves satisfaction out.",
    )
    survey_followup_mode = fields.Selection(
        FOLLOWUP_MODES,
        string="Unhappy Customer Follow-up",
        required=True,
        default="activity",
    )
