from urllib.parse import urlencode

from odoo import _, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models import crm_relationship_complaint as complaint_module
from ..models.crm_relationship_complaint import COMPLAINT_MODEL
from ..models.crm_relationship_complaint_stage import DONE_STATES, OPEN_STATES


class ComplaintPortal(CustomerPortal):
    """Customer complaints on the portal: list, detail, filing, acceptance.

    Filing: the routes check the access and read the request; the model
    (``_portal_file``) checks the form and the files (limits: the
    ``CUSTOMER_MAX_*`` constants of the complaint model) and files it.
    """

    _complaints_per_page = 20

    # ------------------------------------------------------------------
    # Home counter
    # ------------------------------------------------------------------
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "complaint_count" in counters:
            Complaint = request.env[COMPLAINT_MODEL]
            values["complaint_count"] = (
                Complaint.search_count(self._prepare_complaints_domain())
                if Complaint.has_access("read")
                else 0
            )
        return values

    def _prepare_complaints_domain(self):
        partner = request.env.user.partner_id
        return [("partner_id", "=", partner.commercial_partner_id.id)]

    def _complaint_check_access(self, complaint_id, access_token=None):
        """The complaint, sudoed, when the visitor may see it (else raises).

        A complaint waiting to be identified (no customer yet, e.g. received by
        e-mail) is nobody's on the portal, even with an access token.
        """
        complaint_sudo = self._document_check_access(
            COMPLAINT_MODEL, complaint_id, access_token=access_token
        )
        if not complaint_sudo.partner_id:
            raise MissingError(_("This complaint does not exist."))
        return complaint_sudo

    # ------------------------------------------------------------------
    # List
    # ------------------------------------------------------------------
    def _get_complaint_searchbar_sortings(self):
        return {
            "newest": {
                "label": _("Newest"),
                "order": "date_received desc, id desc",
            },
            "reference": {"label": _("Reference"), "order": "name desc, id desc"},
            "stage": {
                "label": _("Status"),
                "order": "stage_id, date_received desc, id desc",
            },
        }

    def _get_complaint_searchbar_filters(self):
        return {
            "all": {"label": _("All"), "domain": []},
            "open": {"label": _("Open"), "domain": [("state", "in", OPEN_STATES)]},
            "done": {"label": _("Closed"), "domain": [("state", "in", DONE_STATES)]},
        }

    def _prepare_complaints_portal_rendering_values(
        self, page=1, sortby=None, filterby=None, **kwargs
    ):
        Complaint = request.env[COMPLAINT_MODEL]
        searchbar_sortings = self._get_complaint_searchbar_sortings()
        searchbar_filters = self._get_complaint_searchbar_filters()
        if sortby not in searchbar_sortings:
            sortby = "newest"
        if filterby not in searchbar_filters:
            filterby = "all"
        domain = (
            self._prepare_complaints_domain() + searchbar_filters[filterby]["domain"]
        )
        step = self._complaints_per_page
        pager = portal_pager(
            url="/my/complaints",
            url_args={"sortby": sortby, "filterby": filterby},
            total=Complaint.search_count(domain),
            page=page,
            step=step,
        )
        complaints = Complaint.search(
            domain,
            order=searchbar_sortings[sortby]["order"],
            limit=step,
            offset=pager["offset"],
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "complaints": complaints.sudo(),
                "page_name": "complaint",
                "pager": pager,
                "default_url": "/my/complaints",
                "searchbar_sortings": searchbar_sortings,
                "sortby": sortby,
                "searchbar_filters": searchbar_filters,
                "filterby": filterby,
            }
        )
        return values

    @http.route(
        ["/my/complaints", "/my/complaints/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_complaints(self, **kwargs):
        values = self._prepare_complaints_portal_rendering_values(**kwargs)
        request.session["my_complaints_history"] = values["complaints"].ids[:100]
        return request.render("crm_relationship.portal_my_complaints", values)

    # ------------------------------------------------------------------
    # Detail and acceptance of the resolution
    # ------------------------------------------------------------------
    @http.route(
        ["/my/complaints/<int:complaint_id>"],
        type="http",
        auth="public",
        website=True,
    )
    def portal_complaint_page(
        self, complaint_id, access_token=None, message=None, **kwargs
    ):
        try:
            complaint_sudo = self._complaint_check_access(complaint_id, access_token)
        except (AccessError, MissingError):
            if request.env.user._is_public() and not access_token:
                return request.redirect_query(
                    "/web/login", {"redirect": f"/my/complaints/{complaint_id}"}
                )
            return request.redirect("/my")
        values = {
            "complaint": complaint_sudo,
            "page_name": "complaint",
            "message": message,
            "can_accept": complaint_sudo.state in ("resolved", "closed")
            and complaint_sudo.customer_acceptance == "pending",
        }
        chatter_kwargs = {k: kwargs[k] for k in ("pid", "hash") if kwargs.get(k)}
        values = self._get_page_view_values(
            complaint_sudo,
            access_token,
            values,
            "my_complaints_history",
            False,
            **chatter_kwargs,
        )
        return request.render("crm_relationship.portal_complaint_page", values)

    @http.route(
        ["/my/complaints/<int:complaint_id>/accept"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_complaint_accept(
        self, complaint_id, accept=None, access_token=None, **kwargs
    ):
        try:
            complaint_sudo = self._complaint_check_access(complaint_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        query = {}
        if accept in ("0", "1"):
            accepted = accept == "1"
            try:
                complaint_sudo._portal_accept_resolution(accepted)
                query["message"] = "accepted" if accepted else "refused"
            except UserError:
                query["message"] = "cannot_accept"
        if access_token:
            query["access_token"] = access_token
        return request.redirect_query(f"/my/complaints/{complaint_sudo.id}", query)

    # ------------------------------------------------------------------
    # Filing a complaint on an order
    # ------------------------------------------------------------------
    def _complaint_check_order(self, order_id, access_token):
        """The order, sudoed, when the logged-in customer may file on it.

        Returns a redirection instead when they may not: reading an order with
        its token is fine, filing a complaint needs the customer's account.
        """
        try:
            order_sudo = self._document_check_access(
                "sale.order", order_id, access_token=access_token
            )
        except (AccessError, MissingError):
            return None, request.redirect("/my")
        user = request.env.user
        if user._is_public():
            path = f"/my/orders/{order_id}/complaint"
            if access_token:
                path = f"{path}?{urlencode({'access_token': access_token})}"
            return None, request.redirect_query("/web/login", {"redirect": path})
        customer = order_sudo.partner_id.commercial_partner_id
        if customer != user.partner_id.commercial_partner_id:
            return None, request.redirect("/my")
        return order_sudo, None

    def _complaint_form_lines(self, order_sudo):
        return request.env[COMPLAINT_MODEL]._portal_order_lines(order_sudo)

    def _complaint_form_values(self, order_sudo, access_token, form=None, error=None):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "complaint_form",
                "complaint_order": order_sudo,
                "access_token": access_token,
                "categories": request.env["crm.relationship.complaint.category"].search(
                    []
                ),
                "order_lines": self._complaint_form_lines(order_sudo),
                "form": form or {},
                "error": error,
                "max_description": complaint_module.CUSTOMER_MAX_DESCRIPTION,
                "max_attachments": complaint_module.CUSTOMER_MAX_ATTACHMENTS,
                "max_attachment_mb": complaint_module.CUSTOMER_MAX_ATTACHMENT_SIZE
                // (1024 * 1024),
            }
        )
        return values

    def _complaint_read_files(self):
        """The uploaded files as (name, bytes), for the model to check.

        Reads one file more than allowed, and of each at most one byte more
        than allowed: enough for the model to refuse, without reading a huge
        upload whole.
        """
        uploads = [
            f for f in request.httprequest.files.getlist("attachments") if f.filename
        ]
        limit = complaint_module.CUSTOMER_MAX_ATTACHMENT_SIZE
        return [
            (upload.filename, upload.read(limit + 1))
            for upload in uploads[: complaint_module.CUSTOMER_MAX_ATTACHMENTS + 1]
        ]

    @http.route(
        ["/my/orders/<int:order_id>/complaint"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def portal_complaint_form(self, order_id, access_token=None, **kwargs):
        order_sudo, redirect = self._complaint_check_order(order_id, access_token)
        if redirect:
            return redirect
        values = self._complaint_form_values(order_sudo, access_token)
        return request.render("crm_relationship.portal_complaint_form", values)

    @http.route(
        ["/my/orders/<int:order_id>/complaint"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_complaint_submit(self, order_id, access_token=None, **kwargs):
        order_sudo, redirect = self._complaint_check_order(order_id, access_token)
        if redirect:
            return redirect
        Complaint = request.env[COMPLAINT_MODEL]
        form = {key: kwargs.get(key) or "" for key in Complaint._portal_fields()}
        try:
            complaint_sudo = Complaint._portal_file(
                order_sudo,
                form,
                request.env.user.partner_id,
                files=self._complaint_read_files(),
            )
        except UserError as error:
            values = self._complaint_form_values(
                order_sudo, access_token, form=form, error=str(error)
            )
            return request.render("crm_relationship.portal_complaint_form", values)
        return request.redirect(f"/my/complaints/{complaint_sudo.id}")
