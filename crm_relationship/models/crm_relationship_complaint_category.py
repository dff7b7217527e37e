from odoo import fields, models


class CrmRelationshipComplaintCategory(models.Model):
    _name = "crm.relationship.complaint.category"
    _description = "Complaint Category"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    user_id = fields.Many2one(
        "res.users",
        string="Default Owner",
        ondelete="set null",
        help="Owner of new complaints of this category when the customer has no "
        "relationship owner.",
    )
    active = fields.Boolean(default=True)
