"""The portal and public answer links over HTTP: tokens, expiry, the
customer's own answers only, the rating route (CSRF, reuse of the
invitation, no write on GET); access rights through the ORM are
test_access_rights.py."""

from datetime import timedelta
from urllib.parse import quote

from odoo import fields, http
from odoo.tests import HttpCase, new_test_user, tagged

from .common import SatisfactionCase

WILDCARDS = ("%", "_", "______", "%25", "%%")


@tagged("post_install", "-at_install")
class SatisfactionHttpCase(HttpCase, SatisfactionCase):
    """Two customers with a portal user each, a colleague of the first one,
    and answers of the test survey (one page, so that one POST submits it)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey.questions_layout = "one_page"
        cls.portal_user = new_test_user(
            cls.env,
            login="rel_sec_portal",
            password="rel_sec_portal",
            groups="base.group_portal",
            partner_id=cls.contact.id,
        )
        cls.colleague_user = new_test_user(
            cls.env,
            login="rel_sec_colleague",
            password="rel_sec_colleague",
            groups="base.group_portal",
            name="Bob Colleague",
            email="bob@example.com",
        )
        cls.colleague = cls.colleague_user.partner_id
        cls.colleague.parent_id = cls.customer
        cls.other_user = new_test_user(
            cls.env,
            login="rel_sec_other",
            password="rel_sec_other",
            groups="base.group_portal",
            name="Other Buyer",
            email="buyer@other.example.com",
        )
        cls.other_user.partner_id.parent_id = cls.other_customer
        cls.pending = cls.answer({}, done=False)
        cls.done = cls.answer({cls.q_nps: 10})
        cls.other_pending = cls.answer(
            {}, partner=cls.other_user.partner_id, done=False
        )

    def login(self, user):
        self.authenticate(user.login, user.login)

    def submit(self, user_input, values, survey=None):
        """POST the answers like the survey page does (JSON-RPC)."""
        survey = survey or user_input.survey_id
        return self.make_jsonrpc_request(
            f"/survey/submit/{survey.access_token}/{user_input.access_token}",
            {str(question.id): str(value) for question, value in values.items()},
        )

    def answers_state(self):
        """Everything a request could write on the answers, to prove it did not."""
        self.env.flush_all()
        self.env.cr.execute("SELECT COUNT(*), MAX(write_date) FROM survey_user_input")
        inputs = self.env.cr.fetchone()
        self.env.cr.execute(
            "SELECT COUNT(*), MAX(write_date) FROM survey_user_input_line"
        )
        return inputs, self.env.cr.fetchone()


class TestSatisfactionAnswerSecurity(SatisfactionHttpCase):
    """T3 token matrix on the answers of satisfaction surveys."""

    def assertUntouched(self, user_input):
        user_input.invalidate_recordset()
        self.assertEqual(user_input.state, "new")
        self.assertFalse(user_input.user_input_line_ids)
        self.assertFalse(user_input.nps_category)

    def test_owner_answers_with_post(self):
        """The control case: the right user posting the right token answers."""
        self.login(self.portal_user)
        result = self.submit(self.pending, {self.q_nps: 3, self.q_comment: "Slow"})
        self.assertFalse(result[1].get("error"))
        self.pending.invalidate_recordset()
        self.assertEqual(self.pending.state, "done")
        self.assertEqual(self.pending.nps_score, 3)
        self.assertEqual(self.pending.nps_category, "detractor")
        # done (10) then this detractor (3) on the roll-up of the customer
        self.assertEqual(self.customer.last_nps_category, "detractor")
        self.assertEqual(self.customer.survey_response_count, 2)

    def test_public_link_with_token_answers(self):
        """Invitation links work without logging in: the token is the key."""
        self.authenticate(None, None)
        result = self.submit(self.pending, {self.q_nps: 9})
        self.assertFalse(result[1].get("error"))
        self.pending.invalidate_recordset()
        self.assertEqual(self.pending.nps_category, "promoter")

    def test_other_customer_token_refused(self):
        self.login(self.other_user)
        response = self.url_open(self.pending.get_start_url())
        self.assertIn("Survey Access Error", response.text)
        self.assertNotIn(self.q_nps.title, response.text)
        display = self.url_open(
            f"/survey/{self.survey.access_token}/{self.pending.access_token}"
        )
        self.assertIn("Survey Access Error", display.text)
        result = self.submit(self.pending, {self.q_nps: 0})
        self.assertEqual(result[1]["error"], "answer_wrong_user")
        self.assertUntouched(self.pending)

    def test_logged_in_colleague_is_wrong_user(self):
        """Same customer, other contact: still not theirs to answer."""
        self.login(self.colleague_user)
        response = self.url_open(self.pending.get_start_url())
        self.assertIn("Survey Access Error", response.text)
        result = self.submit(self.pending, {self.q_nps: 0})
        self.assertEqual(result[1]["error"], "answer_wrong_user")
        self.assertUntouched(self.pending)

    def test_wrong_token_refused(self):
        self.login(self.portal_user)
        result = self.make_jsonrpc_request(
            f"/survey/submit/{self.survey.access_token}/{self.other_pending.access_token[:-1]}x",
            {str(self.q_nps.id): "0"},
        )
        self.assertEqual(result[1]["error"], "token_wrong")
        # a token of another survey does not open this one
        other_survey = self.survey.copy()
        result = self.submit(self.pending, {self.q_nps: 0}, survey=other_survey)
        self.assertEqual(result[1]["error"], "token_wrong")
        self.assertUntouched(self.pending)

    def test_expired_answer_refused(self):
        self.pending.deadline = fields.Datetime.now() - timedelta(minutes=1)
        self.login(self.portal_user)
        response = self.url_open(self.pending.get_start_url())
        self.assertIn("survey expired", response.text)
        result = self.submit(self.pending, {self.q_nps: 9})
        self.assertEqual(result[1]["error"], "answer_deadline")
        self.assertUntouched(self.pending)
        # and it is no longer offered on the portal
        page = self.url_open("/my/surveys")
        self.assertNotIn(self.pending.access_token, page.text)
        self.assertIn("o_satisfaction_no_pending", page.text)

    def test_submitted_answer_cannot_be_changed(self):
        lines = self.done.user_input_line_ids
        self.login(self.portal_user)
        result = self.submit(self.done, {self.q_nps: 0})
        self.assertEqual(result[1]["error"], "unauthorized")
        self.done.invalidate_recordset()
        self.assertEqual(self.done.user_input_line_ids, lines)
        self.assertEqual(self.done.nps_score, 10)
        self.assertEqual(self.customer.last_nps_category, "promoter")
        # not by following the link either: it shows the answers, read-only
        self.url_open(self.done.get_start_url())
        self.done.invalidate_recordset()
        self.assertEqual(self.done.state, "done")
        self.assertEqual(self.done.nps_score, 10)

    def test_tokens_unique_and_not_copied(self):
        tokens = (self.pending | self.done | self.other_pending).mapped("access_token")
        self.assertEqual(len(set(tokens)), 3)
        copy = self.pending.copy()
        self.assertTrue(copy.access_token)
        self.assertNotEqual(copy.access_token, self.pending.access_token)

    def test_wildcard_tokens_leak_nothing(self):
        before = self.answers_state()
        secrets = (self.pending | self.done | self.other_pending).mapped("access_token")
        for user in (None, self.other_user):
            if user:
                self.login(user)
            else:
                self.authenticate(None, None)
            for raw in WILDCARDS:
                token = quote(raw, safe="")
                with self.subTest(token=raw, user=user and user.login):
                    for url in (
                        f"/survey/start/{self.survey.access_token}?answer_token={token}",
                        f"/survey/{self.survey.access_token}/{token}",
                        f"/survey/start/{token}?answer_token={token}",
                        f"/survey/{token}/{token}",
                    ):
                        response = self.url_open(url, allow_redirects=False)
                        for secret in secrets:
                            self.assertNotIn(secret, response.text)
                            self.assertNotIn(
                                secret, response.headers.get("Location", "")
                            )
                        self.assertNotIn(self.q_nps.title, response.text)
                    result = self.make_jsonrpc_request(
                        f"/survey/submit/{self.survey.access_token}/{token}",
                        {str(self.q_nps.id): "0"},
                    )
                    self.assertEqual(result[1]["error"], "token_wrong")
        self.assertEqual(self.answers_state(), before)
        self.assertUntouched(self.pending)


class TestSatisfactionPortalSecurity(SatisfactionHttpCase):
    """/my/surveys and the "Rate this order" button."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create({"name": "Rated Widget"})
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.contact.id,
                "order_line": [(0, 0, {"product_id": cls.product.id})],
            }
        )
        cls.order.action_confirm()
        cls.env.company.write(
            {"survey_order_survey_id": cls.survey.id, "survey_deadline_days": 14}
        )

    def rate(self, order=None, access_token=None, csrf=True):
        order = order or self.order
        data = {"submit": "1"}
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        if access_token:
            data["access_token"] = access_token
        return self.url_open(
            f"/my/orders/{order.id}/rate", data=data, allow_redirects=False
        )

    def order_inputs(self, order=None):
        return self.env["survey.user_input"].search(
            [("sale_order_id", "=", (order or self.order).id)]
        )

    def test_my_surveys_own_commercial_partner_only(self):
        colleague_pending = self.answer({}, partner=self.colleague, done=False)
        self.login(self.portal_user)
        page = self.url_open("/my/surveys").text
        self.assertIn(self.pending.access_token, page)
        self.assertIn("Satisfaction test survey", page)
        self.assertNotIn(self.other_pending.access_token, page)
        # a colleague's survey is listed, not its personal link
        self.assertIn("Sent to Bob Colleague", page)
        self.assertNotIn(colleague_pending.access_token, page)
        self.assertEqual(page.count("o_satisfaction_done"), 1)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["satisfaction_survey_count"]}
        )
        self.assertEqual(counters["satisfaction_survey_count"], 1)
        self.login(self.other_user)
        page = self.url_open("/my/surveys").text
        self.assertIn(self.other_pending.access_token, page)
        self.assertNotIn(self.pending.access_token, page)
        self.assertNotIn("Bob Colleague", page)
        self.assertNotIn("o_satisfaction_done", page)

    def test_my_surveys_requires_login(self):
        response = self.url_open("/my/surveys", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])

    def test_rate_button_for_order_owner(self):
        self.login(self.portal_user)
        page = self.url_open(self.order.get_portal_url()).text
        self.assertIn("o_satisfaction_rate_order", page)
        self.assertIn(f'action="/my/orders/{self.order.id}/rate"', page)
        self.assertIn('name="csrf_token"', page)
        # other customers cannot open the order at all
        self.login(self.other_user)
        response = self.url_open(f"/my/orders/{self.order.id}", allow_redirects=False)
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn("o_satisfaction_rate_order", response.text)

    def test_rate_post_creates_then_reuses(self):
        self.login(self.portal_user)
        response = self.rate()
        self.assertEqual(response.status_code, 303)
        user_input = self.order_inputs()
        self.assertEqual(len(user_input), 1)
        self.assertEqual(user_input.partner_id, self.contact)
        self.assertEqual(user_input.survey_id, self.survey)
        self.assertEqual(user_input.state, "new")
        self.assertTrue(user_input.deadline)
        self.assertTrue(
            response.headers["Location"].endswith(user_input.get_start_url())
        )
        # pressing again opens the same answer
        response = self.rate()
        self.assertEqual(self.order_inputs(), user_input)
        self.assertTrue(
            response.headers["Location"].endswith(user_input.get_start_url())
        )
        # once answered, the order cannot be rated a second time
        self.submit(user_input, {self.q_nps: 9})
        self.assertEqual(user_input.state, "done")
        page = self.url_open(self.order.get_portal_url()).text
        self.assertNotIn("o_satisfaction_rate_order", page)
        response = self.rate()
        self.assertEqual(self.order_inputs(), user_input)
        self.assertNotIn("/survey/", response.headers["Location"])

    def test_rate_ignores_posted_fields(self):
        """Extra posted fields choose neither the customer nor the survey."""
        other_survey = self.survey.copy()
        self.login(self.portal_user)
        self.url_open(
            f"/my/orders/{self.order.id}/rate",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "partner_id": self.other_customer.id,
                "survey_id": other_survey.id,
                "sale_order_id": self.order.id + 1,
                "deadline": "2000-01-01 00:00:00",
                "state": "done",
            },
            allow_redirects=False,
        )
        user_input = self.order_inputs()
        self.assertEqual(user_input.partner_id, self.contact)
        self.assertEqual(user_input.survey_id, self.survey)
        self.assertEqual(user_input.state, "new")
        self.assertGreater(user_input.deadline, fields.Datetime.now())

    def test_rate_post_reuses_the_invitation(self):
        invitation = self.contact._survey_send_invitation(
            self.survey, sale_order=self.order, throttle=False
        )
        self.login(self.portal_user)
        response = self.rate()
        self.assertEqual(self.order_inputs(), invitation)
        self.assertTrue(
            response.headers["Location"].endswith(invitation.get_start_url())
        )

    def test_rate_post_by_colleague_is_their_own_answer(self):
        invitation = self.contact._survey_send_invitation(
            self.survey, sale_order=self.order, throttle=False
        )
        self.login(self.colleague_user)
        self.rate(access_token=self.order._portal_ensure_token())
        colleague_input = self.order_inputs() - invitation
        self.assertEqual(len(colleague_input), 1)
        self.assertEqual(colleague_input.partner_id, self.colleague)

    def test_rate_post_by_order_token_without_login(self):
        """Staff can read the order's token: holding it proves nothing, a
        visitor who is not logged in gets no answer link (T26)."""
        self.authenticate(None, None)
        response = self.rate(access_token=self.order._portal_ensure_token())
        self.assertNotIn("/survey/", response.headers.get("Location", ""))
        self.assertFalse(self.order_inputs())

    def test_rate_refused_for_other_customer(self):
        self.login(self.other_user)
        response = self.rate()
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/my"))
        self.assertFalse(self.order_inputs())
        # nor with a wrong or wildcard order token, logged in or not
        for user in (self.other_user, None):
            if not user:
                self.logout()
            for token in (*WILDCARDS, "x" * 36):
                response = self.rate(access_token=token)
                self.assertNotIn("/survey/", response.headers.get("Location", ""))
        self.assertFalse(self.order_inputs())

    def test_rate_without_csrf_refused(self):
        self.login(self.portal_user)
        response = self.rate(csrf=False)
        self.assertEqual(response.status_code, 400)
        response = self.url_open(
            f"/my/orders/{self.order.id}/rate",
            data={"csrf_token": "forged"},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.order_inputs())

    def test_rate_draft_order_refused(self):
        draft = self.env["sale.order"].create(
            {
                "partner_id": self.contact.id,
                "order_line": [(0, 0, {"product_id": self.product.id})],
            }
        )
        self.login(self.portal_user)
        self.rate(order=draft)
        self.assertFalse(self.order_inputs(draft))

    def test_get_never_writes(self):
        """Mail gateways open links: no GET changes anything."""
        invitation = self.contact._survey_send_invitation(
            self.survey, sale_order=self.order, throttle=False
        )
        before = self.answers_state()
        self.login(self.portal_user)
        for url in (
            "/my",
            "/my/surveys",
            self.order.get_portal_url(),
            invitation.get_start_url(),
            f"/survey/{self.survey.access_token}/{invitation.access_token}",
            self.pending.get_start_url(),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.url_open(url).status_code, 200)
        response = self.url_open(f"/my/orders/{self.order.id}/rate")
        self.assertEqual(response.status_code, 405)
        self.logout()
        self.url_open(invitation.get_start_url())
        self.assertEqual(self.answers_state(), before)
        invitation.invalidate_recordset()
        self.assertEqual(invitation.state, "new")
        self.assertEqual(self.order_inputs(), invitation)
