from urllib.parse import urlencode

from odoo import _, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.tools import plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.crm_relationship_complaint import (
    COMPLAINT_MODEL,
    CUSTOMER_MAX_ATTACHMENT_SIZE,
    CUSTOMER_MAX_ATTACHMENTS,
)
from ..models.crm_relationship_complaint_stage import DONE_STATES, OPEN_STATES


class ComplaintPortal(CustomerPortal):
    """Customer complaints on the portal: list, detail, filing, acceptance."""

    _complaints_per_page = 20
    # the model applies the same limits to the portal chatter (any path that
    # attaches customer files to a complaint); checked here first to keep the
    # customer's input on the form
    _complaint_max_attachments = CUSTOMER_MAX_ATTACHMENTS
    _complaint_max_attachment_size = CUSTOMER_MAX_ATTACHMENT_SIZE  # bytes, per file
    _complaint_max_description = 20000  # characters

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
        return order_sudo.order_line.filtered(
            lambda line: not line.display_type and not line.is_downpayment
        )

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
                "max_description": self._complaint_max_description,
                "max_attachments": self._complaint_max_attachments,
                "max_attachment_mb": self._complaint_max_attachment_size
                // (1024 * 1024),
            }
        )
        return values

    @staticmethod
    def _to_int(value):
        try:
            return int(value) if value else None
        except (TypeError, ValueError):
            return None

    def _complaint_values_from_form(self, order_sudo, form):
        """Values for ``_portal_file``, from the whitelisted form keys only."""
        category_id = self._to_int(form.get("category_id"))
        categories = request.env["crm.relationship.complaint.category"].search([])
        if category_id not in categories.ids:
            category_id = None
        description = form.get("description") or ""
        if len(description) > self._complaint_max_description:
            raise UserError(
                _(
                    "Please keep the description under %(count)s characters.",
                    count=self._complaint_max_description,
                )
            )
        line_id = self._to_int(form.get("sale_order_line_id"))
        if line_id and line_id not in self._complaint_form_lines(order_sudo).ids:
            raise UserError(_("This order line is not part of the order."))
        return {
            "category_id": category_id,
            "sale_order_line_id": line_id,
            "subject": (form.get("subject") or "").strip(),
            "description": plaintext2html(description),
        }

    def _complaint_read_attachments(self):
        """Uploaded files as (name, bytes); UserError when too many/too big."""
        files = [
            f for f in request.httprequest.files.getlist("attachments") if f.filename
        ]
        if len(files) > self._complaint_max_attachments:
            raise UserError(
                _(
                    "You can attach at most %(count)s files.",
                    count=self._complaint_max_attachments,
                )
            )
        result = []
        limit = self._complaint_max_attachment_size
        for upload in files:
            data = upload.read(limit + 1)
            if len(data) > limit:
                raise UserError(
                    _(
                        "%(name)s is too large: files are limited to %(size)s MB.",
                        name=upload.filename,
                        size=limit // (1024 * 1024),
                    )
                )
            result.append((upload.filename, data))
        return result

    def _complaint_attach(self, complaint_sudo, files, partner):
        """Post the uploaded files on the complaint, authored by the customer.

        The attachments are created pending (on the composer, by the customer)
        as the portal chatter does; posting moves them to the complaint.
        """
        if not files:
            return
        attachments = (
            request.env["ir.attachment"]
            .sudo()
            .create(
                [
                    {
                        "name": name,
                        "raw": data,
                        "res_model": "mail.compose.message",
                        "res_id": 0,
                    }
                    for name, data in files
                ]
            )
        )
        complaint_sudo.message_post(
            body=_("Files sent with the complaint."),
            author_id=partner.id,
            attachment_ids=attachments.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

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
        form = {
            key: kwargs.get(key) or ""
            for key in ("category_id", "sale_order_line_id", "subject", "description")
        }
        partner = request.env.user.partner_id
        try:
            files = self._complaint_read_attachments()
            values = self._complaint_values_from_form(order_sudo, form)
            with request.env.cr.savepoint():
                complaint_sudo = request.env[COMPLAINT_MODEL]._portal_file(
                    order_sudo, values, partner
                )
                self._complaint_attach(complaint_sudo, files, partner)
        except UserError as error:
            values = self._complaint_form_values(
                order_sudo, access_token, form=form, error=str(error)
            )
            return request.render("crm_relationship.portal_complaint_form", values)
        return request.redirect(f"/my/complaints/{complaint_sudo.id}")
