from odoo import _, api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    relationship_stage_id = fields.Many2one(
        related="partner_id.commercial_partner_id.relationship_stage_id",
        string="Relationship Stage",
        groups="base.group_user",
    )
    value_tier_id = fields.Many2one(
        related="partner_id.commercial_partner_id.value_tier_id",
        string="Value Tier",
        groups="base.group_user",
    )

    complaint_ids = fields.One2many(
        "crm.relationship.complaint", "sale_order_id", string="Complaints"
    )
    complaint_count = fields.Integer(
        compute="_compute_complaint_count", groups="base.group_user"
    )

    @api.depends("complaint_ids")
    def _compute_complaint_count(self):
        counts = dict(
            self.env["crm.relationship.complaint"]._read_group(
                [("sale_order_id", "in", self.ids)], ["sale_order_id"], ["__count"]
            )
        )
        for order in self:
            order.complaint_count = counts.get(order, 0)

    def action_view_complaints(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_complaint_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = self._complaint_context()
        return action

    def action_log_complaint(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Log Complaint"),
            "res_model": "crm.relationship.complaint",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": self._complaint_context(),
        }

    def _complaint_context(self):
        return {
            "default_partner_id": self.partner_id.commercial_partner_id.id,
            "default_contact_id": self.partner_id.id
            if self.partner_id.parent_id
            else False,
            "default_sale_order_id": self.id,
            "default_company_id": self.company_id.id,
        }

    @api.depends("partner_id", "company_id")
    def _compute_pricelist_id(self):
        res = super()._compute_pricelist_id()
        for order in self:
            tier = order.partner_id.commercial_partner_id.value_tier_id
            if order.state == "draft" and tier.pricelist_id:
                order.pricelist_id = tier.pricelist_id
        return res

    def action_confirm(self):
        res = super().action_confirm()
        self.partner_id.commercial_partner_id.sudo()._relationship_apply_rules()
        return res

    def _action_cancel(self):
        res = super()._action_cancel()
        self.partner_id.commercial_partner_id.sudo()._relationship_apply_rules()
        return res
