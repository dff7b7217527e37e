from odoo import fields, models

RELATIONSHIP_KINDS = [
    ("csat", "Customer Satisfaction (CSAT)"),
    ("nps", "Net Promoter Score (NPS)"),
    ("ces", "Customer Effort Score (CES)"),
    ("acsi", "ACSI Relationship Survey"),
    ("kano", "Kano Feature Survey"),
    ("custom", "Custom Satisfaction Survey"),
]


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    relationship_kind = fields.Selection(
        RELATIONSHIP_KINDS,
        string="Satisfaction Survey Kind",
        help="Marks the survey as a customer satisfaction survey: its answers feed "
        "the satisfaction indices and the customer roll-up.",
    )
