from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    satisfaction_input_ids = fields.One2many(
        "survey.user_input", "sale_order_id", string="Satisfaction Surveys"
    )
    satisfaction_input_count = fields.Integer(
        compute="_compute_satisfaction_input_count"
    )
    satisfaction_invite_done = fields.Boolean(
        string="Satisfaction Invitation Processed",
        copy=False,
        readonly=True,
        help="The scheduled invitation after confirmation was handled.",
    )

    @api.depends("satisfaction_input_ids")
    def _compute_satisfaction_input_count(self):
        counts = dict(
            self.env["survey.user_input"]
            .sudo()
            ._read_group(
                [("sale_order_id", "in", self.ids)], ["sale_order_id"], ["__count"]
            )
        )
        for order in self:
            order.satisfaction_input_count = counts.get(order, 0)

    def action_send_satisfaction_survey(self):
        self.ensure_one()
        survey = self.company_id.survey_order_survey_id or self.env.ref(
            "crm_relationship_survey.survey_post_purchase", raise_if_not_found=False
        )
        return self.partner_id._survey_manual_invitation(survey, sale_order=self)

    def action_view_satisfaction_inputs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_survey.survey_user_input_action_satisfaction"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {}
        return action

    def _satisfaction_portal_input(self):
        """Pending satisfaction answer of this order, for the portal button."""
        self.ensure_one()
        now = fields.Datetime.now()
        return self.sudo().satisfaction_input_ids.filtered(
            lambda ui: (
                ui.state != "done"
                and ui.survey_id.active
                and (not ui.deadline or ui.deadline > now)
            )
        )[:1]
