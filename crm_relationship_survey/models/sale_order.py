from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    satisfaction_input_ids = fields.One2many(
        "survey.user_input",
        "sale_order_id",
        string="Satisfaction Surveys",
        groups="base.group_user",
    )
    satisfaction_input_count = fields.Integer(
        compute="_compute_satisfaction_input_count",
        groups="base.group_user,survey.group_survey_user",
    )
    satisfaction_invite_done = fields.Boolean(
        string="Satisfaction Invitation Processed",
        copy=False,
        readonly=True,
        groups="base.group_user",
        help="The scheduled invitation after confirmation was handled.",
    )

    @api.depends("satisfaction_input_ids")
    @api.depends_context("uid")
    def _compute_satisfaction_input_count(self):
        # the answers the user may read (survey rights and rules), not more
        UserInput = self.env["survey.user_input"]
        counts = {}
        if UserInput.has_access("read"):
            counts = dict(
                UserInput._read_group(
                    [("sale_order_id", "in", self.ids)],
                    ["sale_order_id"],
                    ["__count"],
                )
            )
        for order in self:
            order.satisfaction_input_count = counts.get(order, 0)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            vals.get("satisfaction_invite_done") for vals in vals_list
        ):
            raise AccessError(
                _("Only the invitation job marks orders as invited to a survey.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if "satisfaction_invite_done" in vals and not self.env.su:
            raise AccessError(
                _("Only the invitation job marks orders as invited to a survey.")
            )
        return super().write(vals)

    def action_send_satisfaction_survey(self):
        """Send the company's survey after orders to the customer of this
        confirmed order (relationship users only, within the throttle)."""
        self.ensure_one()
        self.env["res.partner"]._survey_check_user_access(self)
        if self.state != "sale":
            state = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                _(
                    "%(order)s is %(state)s: satisfaction surveys are only sent "
                    "about confirmed orders.",
                    order=self.name,
                    state=state.get(self.state, self.state),
                )
            )
        survey = self.company_id.survey_order_survey_id or self.env.ref(
            "crm_relationship_survey.survey_post_purchase", raise_if_not_found=False
        )
        return self.partner_id._survey_manual_invitation(
            survey, sale_order=self, company=self.company_id
        )

    def action_view_satisfaction_inputs(self):
        self.ensure_one()
        self.env["res.partner"]._survey_check_user_access(self)
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
        if not partner or order.state != "sale":
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
        """Who rates the order on the portal for ``user`` (the visitor, not the
        user of the environment: portal records are read as superuser), once
        the controller checked that the visitor may open the order:

        - a logged-in portal user of the order's customer rates as themselves;
        - anyone else rates nothing: internal users, other customers, and a
          visitor who is not logged in, even with the order's token (staff can
          read that token: it proves nothing about who holds it). The answer
          link is personal and goes only to the person it belongs to;
          customers without a portal account answer the survey e-mailed to
          them (its link carries their own answer token).

        Returns the partner, or an empty recordset."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        if user._is_public() or not user.share:
            return Partner
        user_partner = user.partner_id
        if user_partner.commercial_partner_id == self.partner_id.commercial_partner_id:
            return user_partner
        return Partner

    def _satisfaction_portal_rate_for(self, user):
        """The answer ``user`` (the visitor of the portal) completes to rate
        this order, or an empty recordset when the order cannot be rated.
        Raises AccessError when the user may not rate it (see
        _satisfaction_portal_partner)."""
        self.ensure_one()
        partner = self._satisfaction_portal_partner(user)
        if not partner:
            raise AccessError(_("Only the customer of the order can rate it."))
        return self._satisfaction_portal_rate(partner)

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
