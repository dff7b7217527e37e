from odoo import fields, models

from .satisfaction_data import (
    ACSI_SCALE,
    CES_SCALE,
    COMPETITOR_SCALE,
    CSAT_SCALE,
    NPS_SCALE,
    SHARE_OF_WALLET_SCALE,
)

# Scales of the numeric roles (answered with numerical_box questions, or with
# simple_choice questions whose answers carry the value in answer_score).
ROLE_SCALES = {
    "csat": CSAT_SCALE,
    "nps": NPS_SCALE,
    "ces": CES_SCALE,
    "acsi_expectation": ACSI_SCALE,
    "acsi_quality": ACSI_SCALE,
    "acsi_value": ACSI_SCALE,
    "acsi_satisfaction": ACSI_SCALE,
    "acsi_repurchase": ACSI_SCALE,
    "share_of_wallet": SHARE_OF_WALLET_SCALE,
    "competitor": COMPETITOR_SCALE,
}

RELATIONSHIP_ROLES = [
    ("csat", "CSAT (1-5)"),
    ("nps", "NPS (0-10)"),
    ("ces", "CES (1-7)"),
    ("acsi_expectation", "ACSI: Customer Expectations (1-10)"),
    ("acsi_quality", "ACSI: Perceived Quality (1-10)"),
    ("acsi_value", "ACSI: Perceived Value (1-10)"),
    ("acsi_satisfaction", "ACSI: Satisfaction Item (1-10)"),
    ("acsi_repurchase", "ACSI: Repurchase Intention (1-10)"),
    ("acsi_complaint", "ACSI: Complained (yes/no)"),
    ("kano_functional", "Kano: Functional Question"),
    ("kano_dysfunctional", "Kano: Dysfunctional Question"),
    ("share_of_wallet", "Loyalty: Share of Wallet (0-100 %)"),
    ("competitor", "Loyalty: Would Consider Another Supplier (0-10)"),
]


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    relationship_role = fields.Selection(
        RELATIONSHIP_ROLES,
        string="Satisfaction Role",
        help="What the answer measures. Scales are answered with a scale or a "
        "numerical box (or a single choice whose answers carry the value as "
        "score). Complaint "
        "and Kano questions are single choices: complaint answers are yes then no, "
        "Kano answers are, in sequence: I like it, I expect it, I am neutral, "
        "I can live with it, I dislike it.",
    )
    kano_feature = fields.Char(
        help="Pairs the functional and the dysfunctional question of one feature.",
    )
