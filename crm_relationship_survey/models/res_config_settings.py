from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    survey_order_survey_id = fields.Many2one(
        related="company_id.survey_order_survey_id", readonly=False
    )
    survey_order_delay = fields.Integer(
        related="company_id.survey_order_delay", readonly=False
    )
    survey_complaint_survey_id = fields.Many2one(
        related="company_id.survey_complaint_survey_id", readonly=False
    )
    survey_periodic_survey_id = fields.Many2one(
        related="company_id.survey_periodic_survey_id", readonly=False
    )
    survey_periodic_days = fields.Integer(
        related="company_id.survey_periodic_days", readonly=False
    )
    survey_throttle_days = fields.Integer(
        related="company_id.survey_throttle_days", readonly=False
    )
    survey_deadline_days = fields.Integer(
        related="company_id.survey_deadline_days", readonly=False
    )
    survey_followup_mode = fields.Selection(
        related="company_id.survey_followup_mode", readonly=False
    )
    survey_health_weight = fields.Float(
        related="company_id.survey_health_weight", readonly=False
    )
