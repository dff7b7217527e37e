from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CrmRelationshipStageChange(models.TransientModel):
    _name = "crm.relationship.stage.change"
    _description = "Change Relationship Stage"

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    stage_id = fields.Many2one(
        "crm.relationship.stage", required=True, ondelete="cascade"
    )
    reason_required = fields.Boolean(compute="_compute_reason_required")
    reason_id = fields.Many2one("crm.relationship.reason", ondelete="cascade")
    note = fields.Text()
    lock = fields.Boolean(
        string="Lock Stage", help="Keep the automatic rules from moving them back."
    )

    @api.depends("stage_id", "partner_ids")
    def _compute_reason_required(self):
        for wizard in self:
            partners = wizard.partner_ids.commercial_partner_id
            wizard.reason_required = partners._relationship_reason_required(
                wizard.stage_id
            )

    def action_apply(self):
        self.ensure_one()
        if self.reason_required and not self.reason_id:
            raise UserError(
                _("Choose a reason for moving the customers to this stage.")
            )
        partners = self.partner_ids.commercial_partner_id
        partners._relationship_set_stage(
            self.stage_id,
            reason=self.reason_id,
            note=self.note,
            lock=True if self.lock else None,
        )
        return {"type": "ir.actions.act_window_close"}
