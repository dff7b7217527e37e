from odoo import api, fields, models

COMPLAINT_ALIAS = "crm_relationship.mail_alias_complaints"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    relationship_stability_min_orders = fields.Integer(
        related="company_id.relationship_stability_min_orders", readonly=False
    )
    relationship_stability_min_days = fields.Integer(
        related="company_id.relationship_stability_min_days", readonly=False
    )
    relationship_decline_factor = fields.Float(
        related="company_id.relationship_decline_factor", readonly=False
    )
    relationship_decline_days = fields.Integer(
        related="company_id.relationship_decline_days", readonly=False
    )
    relationship_churn_days = fields.Integer(
        related="company_id.relationship_churn_days", readonly=False
    )
    relationship_require_reason = fields.Boolean(
        related="company_id.relationship_require_reason", readonly=False
    )
    # who may write to the complaints alias: Odoo's own setting of the alias
    # (it bounces the others), shown here
    relationship_complaint_alias_contact = fields.Selection(
        [
            ("followers", "Followers of a complaint (replies only)"),
            ("partners", "Known contacts"),
            ("everyone", "Everyone"),
        ],
        string="Complaints by Email From",
        help="Known contacts: addresses of existing contacts. Followers: only the "
        "followers of a complaint may answer by e-mail, new complaints come from "
        "the portal. Whoever writes, an e-mailed complaint waits until a staff "
        "member confirms its customer: an address proves nothing.",
    )

    @api.model
    def _relationship_complaint_alias(self):
        return self.env.ref(COMPLAINT_ALIAS, raise_if_not_found=False)

    @api.model
    def get_values(self):
        res = super().get_values()
        alias = self._relationship_complaint_alias()
        res["relationship_complaint_alias_contact"] = (
            alias.sudo().alias_contact if alias else False
        )
        return res

    def set_values(self):
        res = super().set_values()
        alias = self._relationship_complaint_alias()
        contact = self.relationship_complaint_alias_contact
        if alias and contact and alias.sudo().alias_contact != contact:
            alias.sudo().alias_contact = contact
        return res
