import re
from unittest.mock import patch
from urllib.parse import urlencode, urlsplit

from lxml import html as lxml_html

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.crm_relationship.controllers.portal import ComplaintPortal
from odoo.addons.crm_relationship.models import (
    crm_relationship_complaint as complaint_module,
)

DENIED_LOGGERS = (
    "odoo.addons.base.models.ir_rule",
    "odoo.addons.base.models.ir_model",
    "odoo.http",
)
# the hidden input of the forms, or the token of the page's session info
CSRF_RE = re.compile(r'(?:name="csrf_token"\s+value="|csrf_token:\s*")([^"]+)"')


class ComplaintPortalCase(HttpCase):
    """Two portal customers, each a person of a company, with a confirmed order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="cmp_portal_salesman",
            groups="sales_team.group_sale_salesman",
            name="Portal Salesman",
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Porcelain teapot", "list_price": 40.0, "type": "consu"}
        )
        cls.other_product = cls.env["product.product"].create(
            {"name": "Bamboo tray", "list_price": 15.0, "type": "consu"}
        )
        cls.company_a, cls.person_a, cls.user_a = cls._portal_customer(
            "Lotus Home Goods", "Mei Lin", "cmp_cust_a"
        )
        cls.company_b, cls.person_b, cls.user_b = cls._portal_customer(
            "Harbour Tea Traders", "Tom Reed", "cmp_cust_b"
        )
        cls.order_a = cls._order(cls.person_a)
        cls.order_b = cls._order(cls.person_b)
        cls.line_a = cls.order_a.order_line.filtered(
            lambda line: line.product_id == cls.product
        )
        cls.category_quality = cls.env.ref(
            "crm_relationship.complaint_category_quality"
        )
        cls.category_delivery = cls.env.ref(
            "crm_relationship.complaint_category_delivery"
        )
        cls.Complaint = cls.env["crm.relationship.complaint"]

    @classmethod
    def _portal_customer(cls, company_name, person_name, login):
        # the salesperson of the customer handles its complaints ("own
        # documents" salespeople see only their customers' complaints)
        company = cls.env["res.partner"].create(
            {"name": company_name, "is_company": True, "user_id": cls.salesman.id}
        )
        person = cls.env["res.partner"].create(
            {
                "name": person_name,
                "parent_id": company.id,
                "email": f"{login}@example.com",
            }
        )
        user = new_test_user(
            cls.env,
            login=login,
            groups="base.group_portal",
            password=f"{login}_pwd_123",
            partner_id=person.id,
        )
        return company, person, user

    @classmethod
    def _order(cls, partner, confirm=True):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    (
                        0,
                        0,
                        {"display_type": "line_section", "name": "Kitchen section"},
                    ),
                    (0, 0, {"product_id": cls.product.id, "product_uom_qty": 1}),
                    (0, 0, {"product_id": cls.other_product.id, "product_uom_qty": 2}),
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    def _file(self, order=None, person=None, description="It broke.", **form):
        """A complaint filed as with the portal form (``form`` as posted)."""
        form = dict({"description": description, "subject": "Broken"}, **form)
        return self.Complaint._portal_file(
            order or self.order_a, form, person or self.person_a
        )

    def _resolve(self, complaint, resolution="A new teapot is on its way."):
        complaint = complaint.with_user(self.salesman)
        complaint.action_acknowledge()
        complaint.write({"resolution_type": "replacement", "resolution": resolution})
        complaint.action_resolve()
        return complaint

    def _login(self, user):
        self.authenticate(user.login, f"{user.login}_pwd_123")

    def _csrf(self, url):
        res = self.url_open(url)
        self.assertEqual(res.status_code, 200, url)
        match = CSRF_RE.search(res.text)
        self.assertTrue(match, f"no csrf_token in {url}")
        return match.group(1)

    def _form_url(self, order):
        return f"/my/orders/{order.id}/complaint"

    def _order_complaints(self, order):
        return self.Complaint.sudo().search([("sale_order_id", "=", order.id)])

    def _post_form(self, order, data, csrf=True, files=None, url_token=None):
        url = self._form_url(order)
        if url_token:
            url = f"{url}?{urlencode({'access_token': url_token})}"
        data = dict(data)
        if csrf:
            data["csrf_token"] = self._csrf("/my/home")
        return self.url_open(url, data=data, files=files, allow_redirects=False)

    def _description_html(self, body):
        """The rendered description of the complaint page, as HTML."""
        (div,) = lxml_html.fromstring(body).xpath(
            "//div[hasclass('o_complaint_description')]"
        )
        return lxml_html.tostring(div, encoding="unicode")

    def assertRedirects(self, res, path):
        self.assertEqual(res.status_code, 303, res.text[:200])
        self.assertEqual(urlsplit(res.headers["Location"]).path, path)


@tagged("post_install", "-at_install")
class TestComplaintPortalAccess(ComplaintPortalCase):
    @mute_logger(*DENIED_LOGGERS)
    def test_token_matrix_on_complaint_page(self):
        complaint = self._file(subject="Cracked lid")
        other = self._file(self.order_b, self.person_b, subject="Other")
        token = complaint._portal_ensure_token()
        other_token = other._portal_ensure_token()
        url = f"/my/complaints/{complaint.id}"

        self.authenticate(None, None)
        res = self.url_open(url, allow_redirects=False)
        self.assertRedirects(res, "/web/login")
        self.assertNotIn(complaint.name, res.text)

        for bad in ["wrong", "", "%", "%%", "_", "______", "*", other_token]:
            res = self.url_open(
                f"{url}?{urlencode({'access_token': bad})}", allow_redirects=False
            )
            self.assertEqual(res.status_code, 303, f"token {bad!r}")
            self.assertNotIn(complaint.name, res.text, f"token {bad!r}")
            self.assertNotIn("Cracked lid", res.text, f"token {bad!r}")
            follow = self.url_open(f"{url}?{urlencode({'access_token': bad})}")
            self.assertNotIn(complaint.name, follow.text, f"token {bad!r}")

        res = self.url_open(f"{url}?{urlencode({'access_token': token})}")
        self.assertEqual(res.status_code, 200)
        self.assertIn(complaint.name, res.text)
        self.assertIn("Cracked lid", res.text)
        self.assertIn("It broke.", res.text)
        # the chatter is there, with the token to post as the customer
        self.assertIn('data-res_model="crm.relationship.complaint"', res.text)
        self.assertIn(f'data-token="{token}"', res.text)

        self._login(self.user_a)
        res = self.url_open(url)
        self.assertEqual(res.status_code, 200)
        self.assertIn(complaint.name, res.text)
        self.assertIn("o_portal_chatter", res.text)

        self._login(self.user_b)
        res = self.url_open(url, allow_redirects=False)
        self.assertIn(res.status_code, (303, 403, 404))
        self.assertNotIn(complaint.name, res.text)
        res = self.url_open(url)
        self.assertNotIn(complaint.name, res.text)

        res = self.url_open(f"/my/complaints/{complaint.id + 10000}")
        self.assertNotIn(complaint.name, res.text)

    @mute_logger(*DENIED_LOGGERS)
    def test_form_needs_the_owner_logged_in(self):
        token = self.order_a._portal_ensure_token()
        url = f"{self._form_url(self.order_a)}?{urlencode({'access_token': token})}"

        self.authenticate(None, None)
        res = self.url_open(url, allow_redirects=False)
        self.assertRedirects(res, "/web/login")
        self.assertNotIn("o_complaint_form", res.text)

        self._login(self.user_b)
        res = self.url_open(url, allow_redirects=False)
        self.assertRedirects(res, "/my")
        res = self.url_open(self._form_url(self.order_a), allow_redirects=False)
        self.assertRedirects(res, "/my")

        self._login(self.user_a)
        res = self.url_open(self._form_url(self.order_a))
        self.assertEqual(res.status_code, 200)
        self.assertIn('id="o_complaint_form"', res.text)
        self.assertIn("Porcelain teapot", res.text)
        self.assertIn("Bamboo tray", res.text)
        self.assertNotIn("Kitchen section", res.text)
        self.assertIn(self.category_delivery.name, res.text)
        self.assertIn('type="file"', res.text)
        self.assertIn('name="attachments"', res.text)
        self.assertIn('name="csrf_token"', res.text)

    @mute_logger(*DENIED_LOGGERS)
    def test_report_button_on_confirmed_orders_only(self):
        quotation = self._order(self.person_a, confirm=False)
        self._login(self.user_a)
        res = self.url_open(self.order_a.get_portal_url())
        self.assertEqual(res.status_code, 200)
        self.assertIn("o_complaint_report_problem", res.text)
        self.assertIn(f"/my/orders/{self.order_a.id}/complaint?access_token=", res.text)
        res = self.url_open(quotation.get_portal_url())
        self.assertEqual(res.status_code, 200)
        self.assertNotIn("o_complaint_report_problem", res.text)

    @mute_logger(*DENIED_LOGGERS)
    def test_filing_on_another_customers_order_is_refused(self):
        token_a = self.order_a._portal_ensure_token()
        before = self.Complaint.sudo().search_count([])
        self._login(self.user_b)
        res = self._post_form(
            self.order_a,
            {
                "description": "Not my order",
                "sale_order_line_id": self.line_a.id,
                "access_token": token_a,
            },
            url_token=token_a,
        )
        self.assertRedirects(res, "/my")
        self.assertFalse(self._order_complaints(self.order_a))
        self.assertEqual(self.Complaint.sudo().search_count([]), before)

    @mute_logger(*DENIED_LOGGERS)
    def test_public_user_cannot_file_with_the_order_token(self):
        token_a = self.order_a._portal_ensure_token()
        url = f"{self._form_url(self.order_a)}?{urlencode({'access_token': token_a})}"
        self.authenticate(None, None)
        # a csrf token of the public session, from a page it may read
        csrf = self._csrf(self.order_a.get_portal_url())
        res = self.url_open(
            url,
            data={"description": "Anonymous", "csrf_token": csrf},
            allow_redirects=False,
        )
        self.assertRedirects(res, "/web/login")
        self.assertFalse(self._order_complaints(self.order_a))

    @mute_logger(*DENIED_LOGGERS)
    def test_post_without_csrf_token_is_refused(self):
        self._login(self.user_a)
        res = self._post_form(self.order_a, {"description": "No token"}, csrf=False)
        self.assertEqual(res.status_code, 400)
        res = self._post_form(
            self.order_a,
            {"description": "Forged token", "csrf_token": "0" * 40 + "o9999999999"},
            csrf=False,
        )
        self.assertEqual(res.status_code, 400)
        self.assertFalse(self._order_complaints(self.order_a))


@tagged("post_install", "-at_install")
class TestComplaintPortalFiling(ComplaintPortalCase):
    def test_extra_posted_fields_are_ignored(self):
        other_company = self.env["res.company"].create({"name": "Other Company"})
        intruder = new_test_user(
            self.env,
            login="cmp_portal_intruder",
            groups="sales_team.group_sale_salesman",
        )
        resolved = self.env.ref("crm_relationship.complaint_stage_resolved")
        self._login(self.user_a)
        res = self._post_form(
            self.order_a,
            {
                "category_id": self.category_delivery.id,
                "sale_order_line_id": self.line_a.id,
                "subject": "Teapot arrived broken",
                "description": "The lid was in pieces.",
                "partner_id": self.company_b.id,
                "contact_id": self.person_b.id,
                "company_id": other_company.id,
                "stage_id": resolved.id,
                "user_id": intruder.id,
                "severity": "critical",
                "channel": "email",
                "customer_acceptance": "yes",
                "name": "HACKED",
            },
        )
        complaint = self._order_complaints(self.order_a)
        self.assertEqual(len(complaint), 1)
        self.assertRedirects(res, f"/my/complaints/{complaint.id}")
        self.assertEqual(complaint.partner_id, self.company_a)
        self.assertEqual(complaint.contact_id, self.person_a)
        self.assertEqual(complaint.company_id, self.order_a.company_id)
        self.assertNotEqual(complaint.company_id, other_company)
        self.assertEqual(
            complaint.stage_id, self.env.ref("crm_relationship.complaint_stage_new")
        )
        self.assertNotEqual(complaint.user_id, intruder)
        self.assertEqual(complaint.severity, "normal")
        self.assertEqual(complaint.channel, "portal")
        self.assertEqual(complaint.customer_acceptance, "pending")
        self.assertTrue(complaint.name.startswith("CMP/"))
        self.assertEqual(complaint.category_id, self.category_delivery)
        self.assertEqual(complaint.sale_order_line_id, self.line_a)
        self.assertEqual(complaint.product_id, self.product)
        self.assertEqual(complaint.subject, "Teapot arrived broken")
        self.assertIn("The lid was in pieces.", complaint.description)
        # the customer follows the complaint
        self.assertIn(self.person_a, complaint.message_partner_ids)

        res = self.url_open(f"/my/complaints/{complaint.id}")
        self.assertEqual(res.status_code, 200)
        self.assertIn(complaint.name, res.text)
        self.assertIn("Teapot arrived broken", res.text)
        self.assertIn("Porcelain teapot", res.text)
        self.assertIn(self.category_delivery.name, res.text)
        self.assertIn(self.order_a.name, res.text)

    def test_errors_keep_the_customers_input(self):
        self._login(self.user_a)
        res = self._post_form(
            self.order_a,
            {
                "category_id": self.category_delivery.id,
                "sale_order_line_id": self.line_a.id,
                "subject": "Kept subject",
                "description": "   ",
            },
        )
        self.assertEqual(res.status_code, 200)
        self.assertIn("o_complaint_form_error", res.text)
        self.assertIn("Please describe the problem.", res.text)
        self.assertIn('value="Kept subject"', res.text)
        page = lxml_html.fromstring(res.text)
        selected = page.xpath("//select[@name='category_id']/option[@selected]/@value")
        self.assertEqual(selected, [str(self.category_delivery.id)])
        selected = page.xpath(
            "//select[@name='sale_order_line_id']/option[@selected]/@value"
        )
        self.assertEqual(selected, [str(self.line_a.id)])
        self.assertFalse(self._order_complaints(self.order_a))

        # a line of another customer's order
        res = self._post_form(
            self.order_a,
            {
                "sale_order_line_id": self.order_b.order_line[1].id,
                "description": "Kept <b>description</b>",
            },
        )
        self.assertEqual(res.status_code, 200)
        self.assertIn("This order line is not part of the order.", res.text)
        textarea = lxml_html.fromstring(res.text).xpath(
            "//textarea[@name='description']"
        )[0]
        self.assertEqual(textarea.text, "Kept <b>description</b>")
        self.assertNotIn("Kept <b>description</b>", res.text)
        self.assertFalse(self._order_complaints(self.order_a))

        # an endless description
        with patch.object(complaint_module, "CUSTOMER_MAX_DESCRIPTION", 10):
            res = self._post_form(
                self.order_a, {"subject": "Long", "description": "x" * 11}
            )
        self.assertIn("Please keep the description under 10 characters.", res.text)
        self.assertFalse(self._order_complaints(self.order_a))

        # a section line of the order is no product to complain about
        section = self.order_a.order_line.filtered("display_type")
        res = self._post_form(
            self.order_a,
            {"sale_order_line_id": section.id, "description": "Section"},
        )
        self.assertIn("This order line is not part of the order.", res.text)
        self.assertFalse(self._order_complaints(self.order_a))

    def test_scripts_in_the_description_are_neutralised(self):
        payload = "<script>alert(1)</script>\n<img src=x onerror=alert(1)>"
        self._login(self.user_a)
        res = self._post_form(
            self.order_a,
            {"subject": "<b onmouseover=alert(2)>Hi</b>", "description": payload},
        )
        complaint = self._order_complaints(self.order_a)
        self.assertRedirects(res, f"/my/complaints/{complaint.id}")
        self.assertNotIn("<script", complaint.description)
        self.assertNotIn("<img", complaint.description)

        res = self.url_open(f"/my/complaints/{complaint.id}")
        self.assertEqual(res.status_code, 200)
        body = res.text
        self.assertNotIn("<script>alert(1)</script>", body)
        self.assertNotIn("<img src=x onerror=alert(1)>", body)
        self.assertNotIn("<b onmouseover", body)
        # shown to the customer as the text they typed
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", body)
        page = lxml_html.fromstring(body)
        for element in page.iter():
            for name, value in element.attrib.items():
                self.assertFalse(
                    name.startswith("on") and "alert" in value,
                    f"{element.tag} has {name}={value}",
                )
            if element.tag == "script":
                self.assertNotIn("alert(", element.text or "")
        self.assertFalse(page.xpath("//img[@src='x']"))
        shown = self._description_html(body)
        self.assertIn("alert(1)", shown)
        self.assertNotIn("<script", shown)
        self.assertNotIn("<img", shown)

    def test_html_descriptions_are_sanitised(self):
        # the portal form sends plain text (see the test above); HTML written
        # on the complaint, even by the system, is sanitised
        complaint = self._file()
        complaint.sudo().description = (
            '<p>Broken</p><script>alert(1)</script><img src="x" onerror="alert(1)">'
        )
        self.assertIn("Broken", complaint.description)
        self.assertNotIn("<script", complaint.description)
        self.assertNotIn("onerror", complaint.description)
        complaint.with_user(
            self.salesman
        ).description = '<p onclick="alert(3)">Edited</p><script>alert(3)</script>'
        self.assertNotIn("<script", complaint.description)
        self.assertNotIn("onclick", complaint.description)

        self._login(self.user_a)
        res = self.url_open(f"/my/complaints/{complaint.id}")
        self.assertEqual(res.status_code, 200)
        self.assertNotIn("<script>alert(", res.text)
        shown = self._description_html(res.text)
        self.assertIn("Edited", shown)
        self.assertNotIn("onclick=", shown)
        self.assertNotIn("onerror=", shown)

    def test_attachments(self):
        self._login(self.user_a)
        res = self._post_form(
            self.order_a,
            {"description": "See the photos"},
            files=[
                (
                    "attachments",
                    ("lid.jpg", b"\xff\xd8\xff\xe0 fake jpeg", "image/jpeg"),
                ),
                (
                    "attachments",
                    ("evil.html", b"<script>alert(1)</script>", "text/html"),
                ),
            ],
        )
        complaint = self._order_complaints(self.order_a)
        self.assertRedirects(res, f"/my/complaints/{complaint.id}")
        attachments = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "crm.relationship.complaint"),
                ("res_id", "=", complaint.id),
            ]
        )
        self.assertEqual(sorted(attachments.mapped("name")), ["evil.html", "lid.jpg"])
        evil = attachments.filtered(lambda a: a.name == "evil.html")
        self.assertNotIn("html", evil.mimetype)
        message = complaint.message_ids.filtered("attachment_ids")
        self.assertEqual(len(message), 1)
        self.assertEqual(message.attachment_ids, attachments)
        self.assertEqual(message.author_id, self.person_a)
        self.assertEqual(message.message_type, "comment")

    def test_attachment_limits(self):
        self._login(self.user_a)
        too_many = [
            ("attachments", (f"f{i}.txt", b"data", "text/plain")) for i in range(6)
        ]
        res = self._post_form(
            self.order_a, {"description": "Many files"}, files=too_many
        )
        self.assertEqual(res.status_code, 200)
        self.assertIn("You can attach at most 5 files.", res.text)
        self.assertFalse(self._order_complaints(self.order_a))

        with patch.object(complaint_module, "CUSTOMER_MAX_ATTACHMENT_SIZE", 10):
            res = self._post_form(
                self.order_a,
                {"description": "Big file"},
                files=[("attachments", ("big.txt", b"x" * 11, "text/plain"))],
            )
        self.assertEqual(res.status_code, 200)
        self.assertIn("big.txt is too large", res.text)
        self.assertFalse(self._order_complaints(self.order_a))
        self.assertFalse(self.env["ir.attachment"].search([("name", "=", "big.txt")]))

    def test_uploads_are_read_up_to_the_limits_only(self):
        """The route hands the model one file and one byte more than allowed."""
        Complaint = type(self.Complaint)
        self._login(self.user_a)
        uploads = [
            ("attachments", (f"big{i}.txt", b"x" * 1000, "text/plain"))
            for i in range(8)
        ]
        with (
            patch.object(complaint_module, "CUSTOMER_MAX_ATTACHMENT_SIZE", 10),
            patch.object(
                Complaint,
                "_portal_file",
                autospec=True,
                side_effect=Complaint._portal_file,
            ) as portal_file,
        ):
            res = self._post_form(
                self.order_a, {"description": "Huge files"}, files=uploads
            )
        self.assertEqual(res.status_code, 200)
        self.assertIn("You can attach at most 5 files.", res.text)
        files = portal_file.call_args.kwargs["files"]
        self.assertEqual(
            [name for name, _data in files], [f"big{i}.txt" for i in range(6)]
        )
        self.assertEqual({len(data) for _name, data in files}, {11})
        self.assertFalse(self._order_complaints(self.order_a))


@tagged("post_install", "-at_install")
class TestComplaintPortalFileModel(ComplaintPortalCase):
    """``_portal_file``: the checks of the portal form, in the model."""

    def _file_as_customer(self, form, files=(), order=None):
        """As the route calls it: the customer's env, the order in sudo."""
        return self.Complaint.with_user(self.user_a)._portal_file(
            (order or self.order_a).sudo(), form, self.person_a, files=files
        )

    def _trace(self):
        """What an error must not leave behind: complaints, files, messages."""
        # the pending tracking of the test's records first (a savepoint runs it)
        self.env.cr.flush()
        return (
            self.Complaint.sudo().search_count([]),
            self.env["ir.attachment"].sudo().search_count([]),
            self.env["mail.message"].sudo().search_count([]),
        )

    def assertRefused(self, message, form, files=(), order=None):
        before = self._trace()
        with self.assertRaisesRegex(UserError, re.escape(message)):
            self._file_as_customer(form, files=files, order=order)
        self.assertEqual(self._trace(), before)
        self.assertFalse(self._order_complaints(self.order_a))

    def test_form_values(self):
        complaint = self._file_as_customer(
            {
                "category_id": str(self.category_delivery.id),
                "sale_order_line_id": str(self.line_a.id),
                "subject": "  Lid broken  ",
                "description": "The lid\nwas <b>broken</b>.",
                # not a key of the form: ignored
                "partner_id": str(self.company_b.id),
                "channel": "email",
                "severity": "critical",
            },
            files=[("lid.jpg", b"\xff\xd8\xff\xe0 fake jpeg")],
        )
        complaint = complaint.sudo()
        self.assertEqual(complaint.partner_id, self.company_a)
        self.assertEqual(complaint.contact_id, self.person_a)
        self.assertEqual(complaint.channel, "portal")
        self.assertEqual(complaint.severity, "normal")
        self.assertEqual(complaint.category_id, self.category_delivery)
        self.assertEqual(complaint.sale_order_line_id, self.line_a)
        self.assertEqual(complaint.product_id, self.product)
        self.assertEqual(complaint.subject, "Lid broken")
        # plain text, shown as typed
        self.assertIn("&lt;b&gt;broken&lt;/b&gt;", complaint.description)
        self.assertNotIn("<b>", complaint.description)
        message = complaint.message_ids.filtered("attachment_ids")
        self.assertEqual(message.author_id, self.person_a)
        self.assertEqual(message.message_type, "comment")
        self.assertEqual(message.attachment_ids.mapped("name"), ["lid.jpg"])
        self.assertEqual(message.attachment_ids.res_model, complaint._name)
        self.assertEqual(message.attachment_ids.res_id, complaint.id)

        # without a subject nor files
        complaint = self._file_as_customer({"description": "Late"}).sudo()
        self.assertEqual(complaint.subject, f"Problem with order {self.order_a.name}")
        self.assertFalse(complaint.category_id)
        self.assertFalse(complaint.sale_order_line_id)
        self.assertFalse(complaint.message_ids.attachment_ids)

    def test_unknown_category_is_ignored(self):
        archived = self.env["crm.relationship.complaint.category"].create(
            {"name": "Archived category", "active": False}
        )
        for category_id in (
            "999999999",
            "9" * 30,
            "-1",
            "abc",
            "1.5",
            str(archived.id),
        ):
            complaint = self._file_as_customer(
                {"category_id": category_id, "description": "Unknown category"}
            )
            self.assertFalse(complaint.sudo().category_id, category_id)
        complaint = self._file_as_customer(
            {"category_id": self.category_quality.id, "description": "An int"}
        )
        self.assertEqual(complaint.sudo().category_id, self.category_quality)

    def test_order_lines(self):
        section = self.order_a.order_line.filtered("display_type")
        for line in (self.order_b.order_line[1], section):
            self.assertRefused(
                "This order line is not part of the order.",
                {"sale_order_line_id": str(line.id), "description": "Line"},
            )
        self.assertRefused(
            "This order line is not part of the order.",
            {"sale_order_line_id": "9" * 30, "description": "Line"},
        )
        # no number: no line
        complaint = self._file_as_customer(
            {"sale_order_line_id": "teapot", "description": "No line"}
        )
        self.assertFalse(complaint.sudo().sale_order_line_id)

    def test_description(self):
        for blank in ("", "   \n ", None):
            self.assertRefused("Please describe the problem.", {"description": blank})
        self.assertRefused("Please describe the problem.", {"subject": "No text"})
        with patch.object(complaint_module, "CUSTOMER_MAX_DESCRIPTION", 10):
            self.assertRefused(
                "Please keep the description under 10 characters.",
                {"description": "x" * 11},
            )
            complaint = self._file_as_customer({"description": "x" * 10})
        self.assertIn("x" * 10, complaint.sudo().description)
        self.assertEqual(complaint_module.CUSTOMER_MAX_DESCRIPTION, 20000)

    def test_files(self):
        self.assertEqual(complaint_module.CUSTOMER_MAX_ATTACHMENTS, 5)
        self.assertRefused(
            "You can attach at most 5 files.",
            {"description": "Many files"},
            files=[(f"f{i}.txt", b"data") for i in range(6)],
        )
        with patch.object(complaint_module, "CUSTOMER_MAX_ATTACHMENT_SIZE", 10):
            self.assertRefused(
                "big.txt is too large",
                {"description": "Big file"},
                files=[("small.txt", b"x"), ("big.txt", b"x" * 11)],
            )
            complaint = self._file_as_customer(
                {"description": "Five files at the limit"},
                files=[(f"f{i}.txt", b"x" * 10) for i in range(5)],
            )
        self.assertEqual(len(complaint.sudo().message_ids.attachment_ids), 5)

    def test_own_orders_only(self):
        self.assertRefused(
            "You can only report a problem on your own orders.",
            {"description": "Not mine"},
            order=self.order_b,
        )
        self.assertFalse(self._order_complaints(self.order_b))

    def test_nothing_is_left_when_posting_the_files_fails(self):
        Complaint = type(self.Complaint)
        before = self._trace()
        with (
            patch.object(
                Complaint,
                "_portal_post_files",
                autospec=True,
                side_effect=UserError("The files could not be posted."),
            ),
            self.assertRaisesRegex(UserError, "could not be posted"),
        ):
            self._file_as_customer(
                {"description": "Files fail"}, files=[("a.txt", b"data")]
            )
        self.assertEqual(self._trace(), before)
        self.assertFalse(self._order_complaints(self.order_a))


@tagged("post_install", "-at_install")
class TestComplaintPortalResolution(ComplaintPortalCase):
    @mute_logger(*DENIED_LOGGERS)
    def test_accept_resolution(self):
        complaint = self._file()
        url = f"/my/complaints/{complaint.id}"
        self._login(self.user_a)

        # nothing to accept yet
        res = self.url_open(url)
        self.assertNotIn('id="complaint_acceptance"', res.text)
        csrf = CSRF_RE.search(res.text).group(1)
        res = self.url_open(f"{url}/accept", data={"accept": "1", "csrf_token": csrf})
        self.assertEqual(res.status_code, 200)
        self.assertIn("no resolution to accept yet", res.text)
        complaint.invalidate_recordset()
        self.assertEqual(complaint.customer_acceptance, "pending")

        self._resolve(complaint)
        res = self.url_open(url)
        self.assertIn('id="complaint_acceptance"', res.text)
        self.assertIn("A new teapot is on its way.", res.text)

        # neither an unknown answer
        csrf = CSRF_RE.search(res.text).group(1)
        res = self.url_open(
            f"{url}/accept",
            data={"accept": "yes", "csrf_token": csrf},
            allow_redirects=False,
        )
        self.assertRedirects(res, url)
        complaint.invalidate_recordset()
        self.assertEqual(complaint.customer_acceptance, "pending")
        # a GET changes nothing
        res = self.url_open(f"{url}/accept?accept=1", allow_redirects=False)
        self.assertEqual(res.status_code, 405)
        # nor does a POST without the csrf token
        res = self.url_open(f"{url}/accept", data={"accept": "1"})
        self.assertEqual(res.status_code, 400)
        complaint.invalidate_recordset()
        self.assertEqual(complaint.customer_acceptance, "pending")

        # another customer cannot answer
        self._login(self.user_b)
        csrf_b = self._csrf("/my/complaints")
        res = self.url_open(
            f"{url}/accept",
            data={"accept": "0", "csrf_token": csrf_b},
            allow_redirects=False,
        )
        self.assertRedirects(res, "/my")
        complaint.invalidate_recordset()
        self.assertEqual(complaint.customer_acceptance, "pending")

        self._login(self.user_a)
        csrf = self._csrf(url)
        res = self.url_open(
            f"{url}/accept",
            data={"accept": "1", "csrf_token": csrf},
            allow_redirects=False,
        )
        self.assertRedirects(res, url)
        complaint.invalidate_recordset()
        self.assertEqual(complaint.customer_acceptance, "yes")
        res = self.url_open(res.headers["Location"])
        self.assertIn("You accepted the resolution.", res.text)
        self.assertNotIn('id="complaint_acceptance"', res.text)

    @mute_logger(*DENIED_LOGGERS)
    def test_refuse_resolution_with_the_token(self):
        complaint = self._resolve(self._file()).sudo()
        token = complaint._portal_ensure_token()
        url = f"/my/complaints/{complaint.id}"
        self.authenticate(None, None)
        page = self.url_open(f"{url}?{urlencode({'access_token': token})}")
        self.assertEqual(page.status_code, 200)
        csrf = CSRF_RE.search(page.text).group(1)
        self.assertIn(f'name="access_token" value="{token}"', page.text)

        res = self.url_open(
            f"{url}/accept",
            data={"accept": "0", "csrf_token": csrf, "access_token": "______"},
            allow_redirects=False,
        )
        self.assertRedirects(res, "/my")
        complaint.invalidate_recordset()
        self.assertEqual(complaint.customer_acceptance, "pending")

        res = self.url_open(
            f"{url}/accept",
            data={"accept": "0", "csrf_token": csrf, "access_token": token},
            allow_redirects=False,
        )
        self.assertRedirects(res, url)
        complaint.invalidate_recordset()
        self.assertEqual(complaint.customer_acceptance, "no")


@tagged("post_install", "-at_install")
class TestComplaintPortalList(ComplaintPortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.open_1 = cls.Complaint._portal_file(
            cls.order_a, {"description": "One", "subject": "First"}, cls.person_a
        )
        cls.open_2 = cls.Complaint._portal_file(
            cls.order_a, {"description": "Two", "subject": "Second"}, cls.person_a
        )
        cls.done = cls.Complaint._portal_file(
            cls.order_a, {"description": "Three", "subject": "Third"}, cls.person_a
        )
        cls.done.action_acknowledge()
        cls.done.resolution_type = "apology"
        cls.done.action_resolve()
        cls.foreign = cls.Complaint._portal_file(
            cls.order_b, {"description": "B", "subject": "Foreign"}, cls.person_b
        )

    def _rows(self, url):
        res = self.url_open(url)
        self.assertEqual(res.status_code, 200, url)
        page = lxml_html.fromstring(res.text)
        return [
            row.xpath(".//a")[0].text
            for row in page.xpath("//tr[contains(@class, 'o_portal_complaint_row')]")
        ]

    def test_list_filters_sort_and_pager(self):
        mine = {self.open_1.name, self.open_2.name, self.done.name}
        self._login(self.user_a)
        self.assertEqual(set(self._rows("/my/complaints")), mine)
        self.assertEqual(
            set(self._rows("/my/complaints?filterby=open")),
            {self.open_1.name, self.open_2.name},
        )
        self.assertEqual(self._rows("/my/complaints?filterby=done"), [self.done.name])
        self.assertEqual(
            self._rows("/my/complaints?sortby=reference"),
            sorted(mine, reverse=True),
        )
        stage_rows = self._rows("/my/complaints?sortby=stage")
        self.assertEqual(stage_rows[-1], self.done.name)
        self.assertEqual(set(self._rows("/my/complaints?sortby=newest")), mine)
        # unknown options fall back to the defaults
        self.assertEqual(
            set(self._rows("/my/complaints?sortby=partner_id&filterby=x")), mine
        )
        res = self.url_open("/my/complaints")
        self.assertNotIn(self.foreign.name, res.text)
        self.assertIn("Complaints", res.text)

        with patch.object(ComplaintPortal, "_complaints_per_page", 2):
            page_1 = self._rows("/my/complaints?sortby=reference")
            page_2 = self._rows("/my/complaints/page/2?sortby=reference")
        self.assertEqual(len(page_1), 2)
        self.assertEqual(len(page_2), 1)
        self.assertEqual(set(page_1 + page_2), mine)

        self._login(self.user_b)
        self.assertEqual(self._rows("/my/complaints"), [self.foreign.name])

    def test_list_needs_a_login(self):
        self.authenticate(None, None)
        res = self.url_open("/my/complaints", allow_redirects=False)
        self.assertRedirects(res, "/web/login")

    def test_home_counter(self):
        self._login(self.user_a)
        res = self.url_open("/my/home")
        self.assertEqual(res.status_code, 200)
        self.assertIn('data-placeholder_count="complaint_count"', res.text)
        self.assertIn('href="/my/complaints"', res.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["complaint_count"]}
        )
        self.assertEqual(counters["complaint_count"], 3)

        self._login(self.user_b)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["complaint_count"]}
        )
        self.assertEqual(counters["complaint_count"], 1)


@tagged("post_install", "-at_install")
class TestComplaintPortalTour(ComplaintPortalCase):
    def test_report_resolve_and_accept(self):
        self.start_tour(
            "/my/orders",
            "crm_relationship_complaint_portal_tour",
            login=self.user_a.login,
        )
        complaint = self._order_complaints(self.order_a)
        self.assertEqual(len(complaint), 1)
        self.assertEqual(complaint.partner_id, self.company_a)
        self.assertEqual(complaint.contact_id, self.person_a)
        self.assertEqual(complaint.category_id, self.category_delivery)
        self.assertEqual(complaint.sale_order_line_id, self.line_a)
        self.assertEqual(complaint.subject, "Teapot arrived broken")
        self.assertEqual(complaint.channel, "portal")
        self.assertEqual(complaint.state, "new")

        complaint.with_user(self.salesman).message_post(
            body="A replacement ships today.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self._resolve(complaint)
        self.assertEqual(complaint.state, "resolved")

        self.start_tour(
            "/my/complaints",
            "crm_relationship_complaint_resolved_tour",
            login=self.user_a.login,
        )
        complaint.invalidate_recordset()
        self.assertEqual(complaint.customer_acceptance, "yes")
        reply = complaint.message_ids.filtered(
            lambda m: "it arrived safely" in (m.body or "")
        )
        self.assertEqual(reply.author_id, self.person_a)
        self.assertEqual(reply.message_type, "comment")
