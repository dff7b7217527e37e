from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    relationship_stage_id = fields.Many2one(
        related="partner_id.commercial_partner_id.relationship_stage_id",
        string="Relationship Stage",
    )
    value_tier_id = fields.Many2one(
        related="partner_id.commercial_partner_id.value_tier_id",
        string="Value Tier",
    )

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
