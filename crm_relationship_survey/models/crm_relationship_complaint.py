from odoo import fields, models


class CrmRelationshipComplaint(models.Model):
    _inherit = "crm.relationship.complaint"

    satisfaction_input_ids = fields.One2many(
        "survey.user_input", "complaint_id", string="Satisfaction Surveys"
    )
    satisfaction_invite_done = fields.Boolean(
        string="Satisfaction Invitation Processed", copy=False, readonly=True
    )

    def action_send_satisfaction_survey(self):
        self.ensure_one()
        survey = self.company_id.survey_complaint_survey_id or self.env.ref(
            "crm_relationship_survey.survey_complaint_resolution",
            raise_if_not_found=False,
        )
        contact = self.contact_id or self.partner_id
        return contact._survey_manual_invitation(survey, complaint=self)
