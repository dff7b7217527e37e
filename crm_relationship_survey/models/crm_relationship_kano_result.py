from odoo import fields, models

from .satisfaction_data import KANO_CATEGORIES


class CrmRelationshipKanoResult(models.Model):
    _name = "crm.relationship.kano.result"
    _description = "Kano Classification of a Feature"
    _order = "id desc"

    user_input_id = fields.Many2one(
        "survey.user_input",
        string="Response",
        required=True,
        index=True,
        ondelete="cascade",
    )
    survey_id = fields.Many2one(
        related="user_input_id.survey_id", store=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        related="user_input_id.relationship_partner_id",
        string="Customer",
        store=True,
        ondelete="set null",
    )
    date = fields.Datetime(related="user_input_id.end_datetime", store=True)
    feature = fields.Char(required=True, index=True)
    functional_answer = fields.Integer(help="Position 1-5 of the functional answer.")
    dysfunctional_answer = fields.Integer(
        help="Position 1-5 of the dysfunctional answer."
    )
    category = fields.Selection(KANO_CATEGORIES, required=True)
