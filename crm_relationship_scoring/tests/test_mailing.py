"""A mailing from any segment (issue 15): the score rows selected in the
At-Risk, Segments or RFM Matrix lists become the recipients of a new Email
Marketing mailing on Contacts, or join a mailing list; blacklisted addresses
are left out as Email Marketing does.

Email Marketing (``mass_mailing``) is not a dependency: the test databases
install it (``setup/crm_setup/databases.py``) and these tests fail, not skip,
without it. Its absence is simulated for the message.
"""

from ast import literal_eval
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import ScoringCase


def _check_email_marketing(env):
    if "mailing.mailing" not in env:
        raise AssertionError(
            "Email Marketing (mass_mailing) must be installed in the test "
            "database (setup/crm_setup/databases.py installs it)"
        )


def _at_risk_rows(env, user, company):
    """The rows of Reporting > At-Risk Customers of ``company``, as ``user``."""
    action = env.ref("crm_relationship_scoring.res_partner_action_at_risk")
    return (
        env["crm.relationship.score"]
        .with_user(user)
        .search([*literal_eval(action.domain), ("company_id", "=", company.id)])
    )


class ScoreMailingCase(ScoringCase):
    """Alpha, Beta and Gamma at high churn risk (Beta's address blacklisted),
    Delta at low risk; a marketer (salesperson with Email Marketing rights)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _check_email_marketing(cls.env)
        # mailings are queued, not sent during the test (no SMTP server)
        cls.env["ir.config_parameter"].set_param("mail.mail.force.send.limit", 0)
        cls.marketer = new_test_user(
            cls.env,
            login="scoring_mailing_marketer",
            groups="sales_team.group_sale_salesman,mass_mailing.group_mass_mailing_user",
            email="marketer@example.com",
            company_id=cls.company.id,
            company_ids=[(6, 0, (cls.company | cls.main_company).ids)],
        )
        cls.alpha, cls.beta, cls.gamma, cls.delta = (
            cls._customer(f"{name} Tea Rooms", email=f"{name.lower()}@teas.example.com")
            for name in ("Alpha", "Beta", "Gamma", "Delta")
        )
        cls.env["mail.blacklist"]._add("beta@teas.example.com")
        cls.rows = cls.env["crm.relationship.score"].create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "currency_id": cls.company.currency_id.id,
                    "rfm_segment": "at_risk",
                    "churn_risk_level": level,
                    "value_at_risk": value,
                }
                for partner, level, value in (
                    (cls.alpha, "high", 900.0),
                    (cls.beta, "high", 800.0),
                    (cls.gamma, "high", 700.0),
                    (cls.delta, "low", 10.0),
                )
            ]
        )

    def _mailing(self, action):
        self.assertEqual(action["res_model"], "mailing.mailing")
        Mailing = self.env["mailing.mailing"].with_user(self.marketer)
        form = Form(Mailing.with_context(**action["context"]))
        form.subject = "We miss you"
        mailing = form.save()
        mailing.body_html = "<p>A gift for your next order.</p>"
        return mailing


class TestScoreMailing(ScoreMailingCase):
    def test_mailing_to_at_risk_customers(self):
        rows = _at_risk_rows(self.env, self.marketer, self.company)
        self.assertEqual(rows.partner_id, self.alpha | self.beta | self.gamma)
        mailing = self._mailing(rows.action_send_mailing())
        self.assertEqual(mailing.mailing_model_real, "res.partner")
        self.assertEqual(
            mailing.mailing_model_id, self.env["ir.model"]._get("res.partner")
        )
        # the domain names exactly the customers of the rows ...
        [(_field, operator, ids)] = [
            leaf
            for leaf in literal_eval(mailing.mailing_domain)
            if isinstance(leaf, (list, tuple)) and leaf[0] == "id"
        ]
        self.assertEqual(operator, "in")
        self.assertEqual(sorted(ids), sorted(rows.partner_id.ids))
        # ... and Email Marketing reaches those not blacklisted
        recipients = self.alpha | self.gamma
        self.assertEqual(
            self.env["res.partner"].search(mailing._parse_mailing_domain()),
            recipients,
        )
        self.assertEqual(sorted(mailing._get_recipients()), sorted(recipients.ids))
        self.assertEqual(
            sorted(mailing._get_remaining_recipients()), sorted(recipients.ids)
        )
        self.assertEqual(mailing.total, 2)
        mailing.action_send_mail()
        self.assertEqual(
            sorted(mailing.mailing_trace_ids.mapped("res_id")), sorted(recipients.ids)
        )
        self.assertEqual(
            set(mailing.mailing_trace_ids.mapped("trace_status")), {"outgoing"}
        )

    def test_a_customer_scored_in_two_companies_is_mailed_once(self):
        second = self.env["crm.relationship.score"].create(
            {
                "partner_id": self.alpha.id,
                "company_id": self.main_company.id,
                "churn_risk_level": "high",
            }
        )
        rows = (self.rows[:1] | second).with_user(self.marketer)
        mailing = self._mailing(rows.action_send_mailing())
        self.assertEqual(mailing._get_recipients(), self.alpha.ids)

    def test_at_risk_customers_join_a_new_list(self):
        rows = _at_risk_rows(self.env, self.marketer, self.company)
        action = rows.action_add_to_mailing_list()
        self.assertEqual(action["res_model"], "mailing.contact.to.list")
        contacts = self.env["mailing.contact"].browse(
            action["context"]["default_contact_ids"]
        )
        self.assertEqual(
            sorted(contacts.mapped("email_normalized")),
            [f"{n}@teas.example.com" for n in ("alpha", "beta", "gamma")],
        )
        win_back = (
            self.env["mailing.list"]
            .with_user(self.marketer)
            .create({"name": "Win-back"})
        )
        wizard = Form(
            self.env["mailing.contact.to.list"]
            .with_user(self.marketer)
            .with_context(**action["context"])
        )
        wizard.mailing_list_id = win_back
        wizard.save().action_add_contacts()
        self.assertEqual(win_back.contact_ids, contacts)
        # the blacklisted address is a contact of the list, never mailed
        self.assertEqual(
            contacts.filtered("is_blacklisted").email_normalized,
            "beta@teas.example.com",
        )


class TestScoreMailingAccess(ScoreMailingCase):
    def test_without_email_marketing(self):
        with patch.object(
            type(self.env["res.partner"]),
            "_relationship_mass_mailing_installed",
            return_value=False,
        ):
            action = self.rows.with_user(self.marketer).action_send_mailing()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["title"], "Email Marketing is not installed")
        self.assertIn("Ask an administrator", action["params"]["message"])

    def test_salesperson_without_email_marketing_rights(self):
        for method in ("action_send_mailing", "action_add_to_mailing_list"):
            with self.subTest(method=method):
                action = getattr(self.rows.with_user(self.salesman), method)()
                self.assertEqual(action["tag"], "display_notification")
                self.assertEqual(
                    action["params"]["title"], "Email Marketing rights needed"
                )

    def test_customers_and_plain_employees_are_refused(self):
        portal = new_test_user(
            self.env, login="scoring_mailing_portal", groups="base.group_portal"
        )
        employee = new_test_user(
            self.env, login="scoring_mailing_employee", groups="base.group_user"
        )
        before = self.env["mailing.contact"].search_count([])
        for user in (portal, self.env.ref("base.public_user"), employee):
            for method in ("action_send_mailing", "action_add_to_mailing_list"):
                with (
                    self.subTest(user=user.login, method=method),
                    self.assertRaises(AccessError),
                ):
                    getattr(self.rows.with_user(user), method)()
        self.assertEqual(self.env["mailing.contact"].search_count([]), before)


@tagged("post_install", "-at_install")
class TestScoreMailingTour(HttpCase):
    """Reporting > At-Risk Customers: three rows selected (one address
    blacklisted), Send a Mailing opens the mailing form with 2 recipients."""

    def test_send_a_mailing_from_at_risk_customers(self):
        _check_email_marketing(self.env)
        new_test_user(
            self.env,
            login="scoring_mailing_tour",
            groups="sales_team.group_sale_salesman,mass_mailing.group_mass_mailing_user",
            email="tour.marketer@example.com",
        )
        company = self.env.company
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Tour Mailing {name}",
                    "is_company": True,
                    "email": f"tour.{name.lower()}@teas.example.com",
                }
                for name in ("Alpha", "Beta", "Gamma")
            ]
        )
        self.env["mail.blacklist"]._add("tour.beta@teas.example.com")
        # the largest values at risk: the first rows of the list
        self.env["crm.relationship.score"].create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "currency_id": company.currency_id.id,
                    "churn_risk_level": "high",
                    "value_at_risk": value,
                }
                for partner, value in zip(partners, (3e9, 2e9, 1e9), strict=True)
            ]
        )
        self.start_tour(
            "/odoo",
            "crm_relationship_scoring_mailing_tour",
            login="scoring_mailing_tour",
        )
