from odoo import _, api, fields, models
from odoo.exceptions import UserError

COMPLAINT_STATES = [
    ("new", "New"),
    ("acknowledged", "Acknowledged"),
    ("in_progress", "In Progress"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
    ("rejected", "Rejected"),
]
OPEN_STATES = ("new", "acknowledged", "in_progress")
DONE_STATES = ("resolved", "closed", "rejected")


class CrmRelationshipComplaintStage(models.Model):
    _name = "crm.relationship.complaint.stage"
    _description = "Complaint Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    state = fields.Selection(
        COMPLAINT_STATES,
        required=True,
        default="new",
        help="What the stage means for the service levels and the dates of the "
        "complaint.",
    )
    fold = fields.Boolean(help="Folded in the kanban view.")
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        used = (
            self.env["crm.relationship.complaint"]
            .sudo()
            .search_count([("stage_id", "in", self.ids)], limit=1)
        )
        if used:
            raise UserError(
                _(
                    "Complaints are in this stage: archive the stage instead of "
                    "deleting it."
                )
            )
