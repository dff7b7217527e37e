from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError


class CrmRelationshipComplaint(models.Model):
    _inherit = "crm.relationship.complaint"

    satisfaction_input_ids = fields.One2many(
        "survey.user_input",
        "complaint_id",
        string="Satisfaction Surveys",
        groups="base.group_user",
    )
    satisfaction_invite_done = fields.Boolean(
        string="Satisfaction Invitation Processed",
        copy=False,
        readonly=True,
        groups="base.group_user",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            vals.get("satisfaction_invite_done") for vals in vals_list
        ):
            raise AccessError(
                _("Only the invitation job marks complaints as invited to a survey.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if "satisfaction_invite_done" in vals and not self.env.su:
            raise AccessError(
                _("Only the invitation job marks complaints as invited to a survey.")
            )
        return super().write(vals)

    def action_send_satisfaction_survey(self):
        """Send the company's survey after complaints to the complaint's
        contact (relationship users only, within the throttle)."""
        self.ensure_one()
        self.env["res.partner"]._survey_check_user_access(self)
        if self.state not in ("resolved", "closed"):
            raise UserError(
                _(
                    "%(complaint)s is not resolved yet: the satisfaction survey "
                    "after a complaint asks about its resolution.",
                    complaint=self.name,
                )
            )
        survey = self.company_id.survey_complaint_survey_id or self.env.ref(
            "crm_relationship_survey.survey_complaint_resolution",
            raise_if_not_found=False,
        )
        contact = self.contact_id or self.partner_id
        return contact._survey_manual_invitation(
            survey, complaint=self, company=self.company_id
        )
