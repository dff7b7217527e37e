from odoo import fields, models


class CrmRelationshipReason(models.Model):
    _name = "crm.relationship.reason"
    _description = "Relationship Stage Change Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
