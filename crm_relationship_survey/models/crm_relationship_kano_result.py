from odoo import fields, models

KANO_CATEGORIES = [
    ("A", "Attractive"),
    ("O", "One-dimensional"),
    ("M", "Must-be"),
    ("I", "Indifferent"),
    ("R", "Reverse"),
    ("Q", "Questionable"),
]

# Standard 5x5 Kano evaluation table. Rows: functional answer, columns:
# dysfunctional answer, both in the order like, must-be, neutral, live-with,
# dislike (1 to 5).
KANO_TABLE = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)


def kano_category(functional, dysfunctional):
    """Kano category of a pair of answers given as positions 1 to 5."""
    if not (1 <= functional <= 5 and 1 <= dysfunctional <= 5):
        return False
    return KANO_TABLE[functional - 1][dysfunctional - 1]


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
