"""Mailings from the pipeline (issue 15): the customers selected in the list,
by stage or by tier, become the recipients of a new Email Marketing mailing or
are added to a mailing list; blacklisted and opted-out addresses are left out
as Email Marketing does; without Email Marketing or its rights the user is
told what to do.

Email Marketing (``mass_mailing``) is not a dependency: the test databases
install it (``setup/crm_setup/databases.py``) and these tests fail, not skip,
without it. Its absence is simulated for the messages.
"""

from ast import literal_eval
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user

from .common import RelationshipCase


def _id_clause(mailing):
    """The ``('id', 'in', ids)`` clause of a mailing's domain."""
    return [
        leaf
        for leaf in literal_eval(mailing.mailing_domain)
        if isinstance(leaf, (list, tuple)) and leaf[0] == "id"
    ]


class MailingCase(RelationshipCase):
    """Four customers: Jade and Lotus in Stability, Pearl in Formation (Jade
    and Pearl Gold, Lotus Silver), Lotus's address blacklisted; No Mail
    Traders without an address. A marketer is a salesperson with Email
    Marketing rights; the salesperson of the fixtures has none."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "mailing.mailing" not in cls.env:
            raise AssertionError(
                "Email Marketing (mass_mailing) must be installed in the test "
                "database (setup/crm_setup/databases.py installs it)"
            )
        cls.Partner = cls.env["res.partner"]
        # mailings are queued, not sent during the test (no SMTP server)
        cls.env["ir.config_parameter"].set_param("mail.mail.force.send.limit", 0)
        cls.marketer = new_test_user(
            cls.env,
            login="rel_mailing_marketer",
            groups="sales_team.group_sale_salesman,mass_mailing.group_mass_mailing_user",
            email="marketer@example.com",
        )
        cls.jade = cls._customer("Jade Teahouse", email="orders@jade.example.com")
        cls.lotus = cls._customer("Lotus Home Goods", email="buy@lotus.example.com")
        cls.pearl = cls._customer(
            "Pearl Cafe", email='"Pearl Cafe" <Hello@Pearl.example.com>'
        )
        cls.silent = cls._customer("No Mail Traders")
        cls.customers = cls.jade | cls.lotus | cls.pearl | cls.silent
        cls.env["mail.blacklist"]._add("buy@lotus.example.com")
        (cls.jade | cls.lotus | cls.silent)._relationship_set_stage(
            cls.stage["stability"], automatic=True
        )
        cls.pearl._relationship_set_stage(cls.stage["formation"], automatic=True)
        cls.gold = cls.env.ref("crm_relationship.tier_gold")
        cls.silver = cls.env.ref("crm_relationship.tier_silver")
        (cls.jade | cls.pearl).value_tier_id = cls.gold
        cls.lotus.value_tier_id = cls.silver

    def _selection(self, domain, user=None):
        """What the pipeline list gives a button: the customers of a group."""
        return self.Partner.with_user(user or self.marketer).search(
            [*domain, ("parent_id", "=", False), ("id", "in", self.customers.ids)]
        )

    def _mailing(self, action, user=None):
        """The mailing the user saves from the form the action opens."""
        self.assertEqual(action["type"], "ir.actions.act_window")
        self.assertEqual(action["res_model"], "mailing.mailing")
        self.assertEqual(action["views"], [(False, "form")])
        Mailing = self.env["mailing.mailing"].with_user(user or self.marketer)
        form = Form(Mailing.with_context(**action["context"]))
        form.subject = "Our spring teas"
        mailing = form.save()
        mailing.body_html = "<p>The spring teas are in.</p>"
        return mailing

    def _contact_count(self):
        return self.env["mailing.contact"].search_count([])


class TestSendMailing(MailingCase):
    def test_mailing_to_the_customers_of_a_stage(self):
        selection = self._selection(
            [("relationship_stage_id", "=", self.stage["stability"].id)]
        )
        self.assertEqual(selection, self.jade | self.lotus | self.silent)
        mailing = self._mailing(selection.action_relationship_send_mailing())
        self.assertEqual(mailing.mailing_model_real, "res.partner")
        self.assertEqual(mailing.mailing_type, "mail")
        self.assertEqual(mailing.state, "draft")
        # the domain names exactly the selected customers ...
        [(_field, operator, ids)] = _id_clause(mailing)
        self.assertEqual((operator, sorted(ids)), ("in", sorted(selection.ids)))
        # ... with Odoo's default clause of a mailing on Contacts: the
        # blacklisted address is not a recipient
        recipients = self.jade | self.silent
        self.assertEqual(
            self.Partner.search(mailing._parse_mailing_domain()), recipients
        )
        self.assertEqual(sorted(mailing._get_recipients()), sorted(recipients.ids))
        self.assertEqual(
            sorted(mailing._get_remaining_recipients()), sorted(recipients.ids)
        )
        self.assertEqual(mailing.total, 2)
        # sent: one e-mail to Jade; nothing to Lotus; No Mail Traders has no
        # address (Email Marketing cancels it)
        mailing.action_send_mail()
        traces = {t.res_id: t for t in mailing.mailing_trace_ids}
        self.assertEqual(set(traces), set(recipients.ids))
        self.assertEqual(traces[self.jade.id].email, "orders@jade.example.com")
        self.assertEqual(traces[self.jade.id].trace_status, "outgoing")
        self.assertEqual(
            (traces[self.silent.id].trace_status, traces[self.silent.id].failure_type),
            ("cancel", "mail_email_missing"),
        )
        self.assertNotIn(self.lotus.id, traces)

    def test_do_not_contact_customers_are_left_out(self):
        self.jade.relationship_no_contact = True
        selection = self.jade | self.silent
        mailing = self._mailing(selection.action_relationship_send_mailing())
        self.assertEqual(sorted(mailing._get_recipients()), [self.silent.id])
        self.assertEqual(mailing.total, 1)

    def test_mailing_to_the_customers_of_a_tier(self):
        selection = self._selection([("value_tier_id", "=", self.gold.id)])
        self.assertEqual(selection, self.jade | self.pearl)
        mailing = self._mailing(selection.action_relationship_send_mailing())
        self.assertEqual(sorted(_id_clause(mailing)[0][2]), sorted(selection.ids))
        self.assertEqual(sorted(mailing._get_recipients()), sorted(selection.ids))
        mailing.action_send_mail()
        self.assertEqual(
            set(mailing.mailing_trace_ids.mapped("res_id")), set(selection.ids)
        )
        self.assertEqual(
            set(mailing.mailing_trace_ids.mapped("trace_status")), {"outgoing"}
        )

    def test_blacklist_is_checked_again_when_sending(self):
        """Even when the user drops Odoo's default clause from the domain, the
        blacklisted address gets no e-mail: the action does not bypass the
        exclusion list of Email Marketing."""
        selection = self.jade | self.lotus
        mailing = self._mailing(selection.action_relationship_send_mailing())
        mailing.mailing_domain = repr([("id", "in", selection.ids)])
        self.assertEqual(sorted(mailing._get_recipients()), sorted(selection.ids))
        mailing.action_send_mail()
        traces = {t.res_id: t for t in mailing.mailing_trace_ids}
        self.assertEqual(traces[self.lotus.id].trace_status, "cancel")
        self.assertEqual(traces[self.lotus.id].failure_type, "mail_bl")
        self.assertEqual(traces[self.jade.id].trace_status, "outgoing")


class TestAddToMailingList(MailingCase):
    def test_customers_join_a_list_opt_outs_kept(self):
        club = self.env["mailing.list"].create({"name": "Tea Club"})
        # Pearl's address is already a contact, who left the Tea Club
        pearl_contact = self.env["mailing.contact"].create(
            {
                "name": "Pearl",
                "email": "hello@pearl.example.com",
                "subscription_ids": [(0, 0, {"list_id": club.id, "opt_out": True})],
            }
        )
        before = self._contact_count()
        action = self.customers.with_user(
            self.marketer
        ).action_relationship_add_to_mailing_list()
        self.assertEqual(action["res_model"], "mailing.contact.to.list")
        self.assertEqual(action["target"], "new")
        contacts = self.env["mailing.contact"].browse(
            action["context"]["default_contact_ids"]
        )
        # one contact per address: Pearl's reused, Jade's and Lotus's new, none
        # for the customer without an address
        self.assertEqual(self._contact_count(), before + 2)
        self.assertIn(pearl_contact, contacts)
        self.assertEqual(
            sorted(contacts.mapped("email_normalized")),
            [
                "buy@lotus.example.com",
                "hello@pearl.example.com",
                "orders@jade.example.com",
            ],
        )
        jade_contact = contacts.filtered(lambda c: c.email == "orders@jade.example.com")
        self.assertEqual(jade_contact.name, "Jade Teahouse")
        self.assertEqual(jade_contact.company_name, "Jade Teahouse")
        self.assertTrue(
            contacts.filtered(
                lambda c: c.email == "buy@lotus.example.com"
            ).is_blacklisted
        )
        # Odoo's dialog adds them to the list the user picks
        wizard = Form(
            self.env["mailing.contact.to.list"]
            .with_user(self.marketer)
            .with_context(**action["context"])
        )
        wizard.mailing_list_id = club.with_user(self.marketer)
        wizard.save().action_add_contacts()
        self.assertEqual(club.contact_ids, contacts)
        self.assertTrue(
            club.subscription_ids.filtered(
                lambda s: s.contact_id == pearl_contact
            ).opt_out
        )
        # a mailing to the list reaches Jade only
        mailing = (
            self.env["mailing.mailing"]
            .with_user(self.marketer)
            .create(
                {
                    "subject": "Tea Club news",
                    "body_html": "<p>News</p>",
                    "mailing_model_id": self.env["ir.model"]._get_id("mailing.list"),
                    "contact_list_ids": [(6, 0, club.ids)],
                }
            )
        )
        mailing.action_send_mail()
        status = {
            t.email: (t.trace_status, t.failure_type) for t in mailing.mailing_trace_ids
        }
        self.assertEqual(status["orders@jade.example.com"], ("outgoing", False))
        self.assertEqual(status["buy@lotus.example.com"], ("cancel", "mail_bl"))
        self.assertEqual(status["hello@pearl.example.com"], ("cancel", "mail_optout"))

    def test_existing_contacts_are_reused(self):
        User = self.customers.with_user(self.marketer)
        first = User.action_relationship_add_to_mailing_list()
        count = self._contact_count()
        second = User.action_relationship_add_to_mailing_list()
        self.assertEqual(self._contact_count(), count)
        self.assertEqual(
            sorted(first["context"]["default_contact_ids"]),
            sorted(second["context"]["default_contact_ids"]),
        )

    def test_customers_without_address(self):
        before = self._contact_count()
        action = self.silent.with_user(
            self.marketer
        ).action_relationship_add_to_mailing_list()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("e-mail address", action["params"]["message"])
        self.assertEqual(self._contact_count(), before)


class TestMailingAccess(MailingCase):
    def _notification(self, action):
        self.assertEqual(action["type"], "ir.actions.client")
        self.assertEqual(action["tag"], "display_notification")
        return action["params"]

    def test_relationship_user_without_email_marketing_rights(self):
        before = self._contact_count()
        for method in (
            "action_relationship_send_mailing",
            "action_relationship_add_to_mailing_list",
        ):
            with self.subTest(method=method):
                params = self._notification(
                    getattr(self.customers.with_user(self.salesman), method)()
                )
                self.assertEqual(params["title"], "Email Marketing rights needed")
                self.assertIn("administrator", params["message"])
                self.assertNotIn("next", params)
        self.assertEqual(self._contact_count(), before)

    def test_customers_and_plain_employees_are_refused(self):
        portal = new_test_user(
            self.env, login="rel_mailing_portal", groups="base.group_portal"
        )
        employee = new_test_user(
            self.env, login="rel_mailing_employee", groups="base.group_user"
        )
        public = self.env.ref("base.public_user")
        before = self._contact_count()
        for user in (portal, public, employee):
            for method in (
                "action_relationship_send_mailing",
                "action_relationship_add_to_mailing_list",
            ):
                with (
                    self.subTest(user=user.login, method=method),
                    self.assertRaises(AccessError),
                ):
                    getattr(self.jade.with_user(user), method)()
        self.assertEqual(self._contact_count(), before)


class TestWithoutEmailMarketing(MailingCase):
    """Email Marketing uninstalled (simulated): administrators are taken to
    its page in Apps, other users are told to ask them."""

    def _absent(self):
        return patch.object(
            type(self.Partner),
            "_relationship_mass_mailing_installed",
            return_value=False,
        )

    def test_administrators_are_offered_the_installation(self):
        admin = new_test_user(
            self.env,
            login="rel_mailing_admin",
            groups="base.group_system,sales_team.group_sale_salesman",
        )
        module = self.env["ir.module.module"].search([("name", "=", "mass_mailing")])
        before = self._contact_count()
        for method in (
            "action_relationship_send_mailing",
            "action_relationship_add_to_mailing_list",
        ):
            with self.subTest(method=method), self._absent():
                action = getattr(self.customers.with_user(admin), method)()
                self.assertEqual(action["tag"], "display_notification")
                params = action["params"]
                self.assertEqual(params["title"], "Email Marketing is not installed")
                self.assertIn("Activate", params["message"])
                self.assertEqual(params["next"]["res_model"], "ir.module.module")
                self.assertEqual(params["next"]["res_id"], module.id)
        self.assertEqual(self._contact_count(), before)

    def test_other_users_are_told_to_ask_an_administrator(self):
        for user in (self.marketer, self.salesman):
            for method in (
                "action_relationship_send_mailing",
                "action_relationship_add_to_mailing_list",
            ):
                with self.subTest(user=user.login, method=method), self._absent():
                    action = getattr(self.customers.with_user(user), method)()
                    params = action["params"]
                    self.assertEqual(
                        params["title"], "Email Marketing is not installed"
                    )
                    self.assertIn("Ask an administrator", params["message"])
                    self.assertTrue(params["sticky"])
                    self.assertNotIn("next", params)

    def test_refusal_comes_first(self):
        employee = new_test_user(
            self.env, login="rel_mailing_employee2", groups="base.group_user"
        )
        with self._absent(), self.assertRaises(AccessError):
            self.jade.with_user(employee).action_relationship_send_mailing()
