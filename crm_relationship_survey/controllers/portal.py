from odoo import fields, http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class SatisfactionSurveyPortal(CustomerPortal):
    """Satisfaction surveys of the customer on the portal."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "satisfaction_survey_count" in counters:
            values["satisfaction_survey_count"] = (
                request.env["survey.user_input"]
                .sudo()
                .search_count(self._satisfaction_pending_domain(own=True))
            )
        return values

    def _satisfaction_domain(self):
        customer = request.env.user.partner_id.commercial_partner_id
        return [
            ("relationship_partner_id", "=", customer.id),
            ("relationship_kind", "!=", False),
            ("test_entry", "=", False),
        ]

    def _satisfaction_pending_domain(self, own=False):
        domain = self._satisfaction_domain()
        if own:
            domain += [("partner_id", "=", request.env.user.partner_id.id)]
        return domain + [
            ("state", "!=", "done"),
            ("survey_id.active", "=", True),
            "|",
            ("deadline", "=", False),
            ("deadline", ">", fields.Datetime.now()),
        ]

    @http.route(["/my/surveys"], type="http", auth="user", website=True)
    def portal_my_satisfaction_surveys(self, **kwargs):
        UserInput = request.env["survey.user_input"].sudo()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "satisfaction_surveys",
                "pending_inputs": UserInput.search(
                    self._satisfaction_pending_domain(), order="create_date desc"
                ),
                "done_inputs": UserInput.search(
                    self._satisfaction_domain() + [("state", "=", "done")],
                    order="end_datetime desc",
                    limit=100,
                ),
            }
        )
        return request.render(
            "crm_relationship_survey.portal_my_satisfaction_surveys", values
        )

    @http.route(
        ["/my/orders/<int:order_id>/rate"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_order_rate(self, order_id, access_token=None, **kwargs):
        """Open the satisfaction survey of an order: only for its customer
        (a logged-in contact of the customer, or a visitor holding the order's
        token), never for staff or other customers, who would otherwise get a
        link to answer in the customer's name."""
        try:
            order_sudo = self._document_check_access(
                "sale.order", order_id, access_token=access_token
            )
            user_input = order_sudo._satisfaction_portal_rate_for(request.env.user)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if not user_input:
            return request.redirect(order_sudo.get_portal_url())
        return request.redirect(user_input.get_start_url())
