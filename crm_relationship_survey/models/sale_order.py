from datetime import timedelta

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

    def _satisfaction_portal_input(self, partner):
        """Pending satisfaction answer of partner about this order, for the
        portal "Rate this order" button."""
        self.ensure_one()
        now = fields.Datetime.now()
        return self.sudo().satisfaction_input_ids.filtered(
            lambda ui: (
                ui.partner_id == partner
                and ui.state != "done"
                and not ui.test_entry
                and ui.survey_id.active
                and (not ui.deadline or ui.deadline > now)
            )
        )[:1]

    def _satisfaction_portal_can_rate(self, partner):
        """Whether partner may rate this order from the portal: a confirmed
        order not rated yet by partner, with a pending answer or a survey to
        answer."""
        self.ensure_one()
        order = self.sudo()
        if order.state != "sale":
            return False
        if order.satisfaction_input_ids.filtered(
            lambda ui: ui.partner_id == partner and ui.state == "done"
        ):
            return False
        return bool(
            order._satisfaction_portal_input(partner)
            or order.company_id.survey_order_survey_id.active
        )

    def _satisfaction_portal_partner(self, user):
        """Who rates the order on the portal for user (the visitor, not the
        user of the environment: portal records are read as superuser): the
        logged-in contact when it belongs to the customer of the order, else
        the customer of the order (access by the order's token)."""
        self.ensure_one()
        user_partner = user.partner_id
        if (
            not user._is_public()
            and user_partner.commercial_partner_id
            == self.partner_id.commercial_partner_id
        ):
            return user_partner
        return self.partner_id

    def _satisfaction_portal_rate(self, partner):
        """The answer partner completes to rate this order: the pending one,
        or a new one of the company's survey after orders."""
        self.ensure_one()
        order = self.sudo()
        if not order._satisfaction_portal_can_rate(partner):
            return self.env["survey.user_input"]
        user_input = order._satisfaction_portal_input(partner)
        if user_input:
            return user_input
        company = order.company_id
        deadline = False
        if company.survey_deadline_days > 0:
            deadline = fields.Datetime.now() + timedelta(
                days=company.survey_deadline_days
            )
        return company.survey_order_survey_id.sudo()._create_answer(
            partner=partner,
            check_attempts=False,
            deadline=deadline,
            sale_order_id=order.id,
        )
