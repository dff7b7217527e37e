"""Keep-in-touch cadences (issue 15, item 3): the daily job schedules one
"Keep in touch" activity for the owner of each customer whose last touch is
older than the cadence of its tier or stage; the partner form shows the last
contact and the next contact due."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from odoo.addons.crm_relationship.models.res_partner import (
    KEEP_IN_TOUCH_JOB,
    KEEP_IN_TOUCH_SUMMARY,
)

from .common import RelationshipCase


class KeepInTouchCase(RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call = cls.env.ref("mail.mail_activity_data_call")
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        # no cadence anywhere but where a test puts one
        cls.env["crm.relationship.stage"].search([]).keep_in_touch_days = 0
        cls.env["crm.relationship.tier"].search([]).keep_in_touch_days = 0
        cls.formation = cls.stage["formation"]
        cls.formation.keep_in_touch_days = 30
        cls.gold = cls.env["crm.relationship.tier"].create(
            {
                "name": "Keep-in-touch Gold",
                "rule": "manual",
                "keep_in_touch_days": 10,
                "keep_in_touch_activity_type_id": cls.todo.id,
            }
        )
        cls.silent_tier = cls.env["crm.relationship.tier"].create(
            {"name": "Keep-in-touch Silver", "rule": "manual"}
        )
        cls.customers = cls.env["res.partner"]

    @classmethod
    def _kit_customer(cls, name, order_days_ago=60, stage=None, tier=None, **vals):
        """A customer placed (and locked) in ``stage`` (Formation: every 30
        days) and ``tier``, whose last order is ``order_days_ago`` days old
        (``None``: no order)."""
        customer = cls._customer(
            name,
            **{
                "customer_rank": 1,
                "relationship_stage_id": (stage or cls.formation).id,
                "relationship_stage_locked": True,
                "value_tier_id": tier.id if tier else False,
                "value_tier_locked": True,
                **vals,
            },
        )
        if order_days_ago is not None:
            cls._order(customer, days_ago=order_days_ago)
        cls.customers |= customer
        return customer

    def _run(self, batch_size=500):
        """Today's job, from the start, over the customers of the test."""
        self._reset_job_progress()
        domain = [("id", "in", self.customers.ids)]
        Partner = type(self.env["res.partner"])
        with patch.object(
            Partner, "_relationship_keep_in_touch_domain", lambda self: domain
        ):
            return self.env["res.partner"]._cron_relationship_keep_in_touch(
                batch_size=batch_size
            )

    def _activities(self, partners):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("summary", "=", KEEP_IN_TOUCH_SUMMARY),
            ]
        )

    def _count(self, partner):
        return len(self._activities(partner))


class TestKeepInTouchJob(KeepInTouchCase):
    def test_one_activity_per_overdue_customer(self):
        colleague = new_test_user(
            self.env, login="kit_colleague", groups="sales_team.group_sale_salesman"
        )
        by_stage = self._kit_customer("Overdue by Stage", order_days_ago=60)
        by_tier = self._kit_customer(
            "Overdue by Tier", order_days_ago=20, tier=self.gold
        )
        recent = self._kit_customer("Recent Buyer", order_days_ago=10)
        owned = self._kit_customer("Owned by a Colleague", order_days_ago=45)
        owned.relationship_owner_id = colleague
        self.assertEqual(self._run(), 4)
        activity = self._activities(by_stage)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.activity_type_id, self.call, "the stage's type")
        self.assertEqual(activity.date_deadline, fields.Date.context_today(activity))
        self.assertIn("Overdue by Stage", str(activity.note))
        self.assertIn("30 days", str(activity.note))
        tier_activity = self._activities(by_tier)
        self.assertEqual(tier_activity.activity_type_id, self.todo, "the tier's type")
        self.assertIn("Keep-in-touch Gold", str(tier_activity.note))
        self.assertFalse(self._activities(recent))
        self.assertEqual(self._activities(owned).user_id, colleague)
        # the day is done: a further call of the day does nothing
        self.assertEqual(self.env["res.partner"]._relationship_run_keep_in_touch(), 0)

    def test_no_second_activity_while_one_is_open(self):
        customer = self._kit_customer("Quiet Teas", order_days_ago=90)
        self._run()
        self._run()
        self.assertEqual(self._count(customer), 1)

    def test_done_activity_is_a_touch(self):
        customer = self._kit_customer("Called Teas", order_days_ago=90)
        self._run()
        activity = self._activities(customer)
        activity.with_user(self.salesman).action_feedback(feedback="Talked to Mei")
        self.assertFalse(activity.exists())
        customer.invalidate_recordset()
        self.assertEqual(
            customer.relationship_next_contact_due,
            fields.Date.context_today(customer) + timedelta(days=30),
        )
        self._run()
        self.assertEqual(self._count(customer), 0)

    def test_opted_out_customers_are_left_alone(self):
        portal = new_test_user(
            self.env, login="kit_portal_owner", groups="base.group_portal"
        )
        archived = new_test_user(
            self.env,
            login="kit_archived_owner",
            groups="sales_team.group_sale_salesman",
        )
        no_contact = self._kit_customer(
            "Do Not Call Teas", relationship_no_contact=True
        )
        blacklisted = self._kit_customer(
            "Blacklisted Teas", email="Orders@Blacklisted.example"
        )
        self.env["mail.blacklist"].create({"email": "orders@blacklisted.example"})
        portal_owner = self._kit_customer("Portal Owned Teas")
        portal_owner.relationship_owner_id = portal
        archived_owner = self._kit_customer("Archived Owner Teas")
        archived_owner.relationship_owner_id = archived
        archived.active = False
        vendor = self._kit_customer(
            "Leaf Supplier", customer_rank=0, order_days_ago=None
        )
        self.env.cr.execute(
            "UPDATE res_partner SET create_date = now() - interval '100 days' "
            "WHERE id = %s",
            [vendor.id],
        )
        vendor.invalidate_recordset()
        # a blacklisted contact person is not an opt-out of the company
        reachable = self._kit_customer("Reachable Teas")
        self.env["res.partner"].create(
            {"name": "Bo", "parent_id": reachable.id, "email": "bo@reachable.example"}
        )
        self.env["mail.blacklist"].create({"email": "bo@reachable.example"})
        self._run()
        for partner in (no_contact, blacklisted, portal_owner, archived_owner, vendor):
            with self.subTest(customer=partner.name):
                self.assertEqual(self._count(partner), 0)
        self.assertEqual(self._count(reachable), 1)
        self.assertTrue(blacklisted.is_blacklisted)
        for partner in (no_contact, blacklisted, vendor):
            with self.subTest(customer=partner.name):
                self.assertFalse(partner.relationship_next_contact_due)
        self.assertTrue(portal_owner.relationship_next_contact_due)

    def test_recent_touches(self):
        touched = {}
        # an order
        touched["order"] = self._kit_customer("Ordered Teas", order_days_ago=60)
        self._order(touched["order"], days_ago=3)
        # an activity done (on a contact of the customer)
        touched["activity"] = self._kit_customer("Visited Teas")
        contact = self.env["res.partner"].create(
            {"name": "Lin", "parent_id": touched["activity"].id}
        )
        contact.activity_schedule(
            "mail.mail_activity_data_meeting", user_id=self.salesman.id
        ).with_user(self.salesman).action_feedback(feedback="Visited the shop")
        # a message sent to the customer by an employee
        touched["message"] = self._kit_customer("Written Teas")
        touched["message"].message_post(
            body="Our new harvest is in.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            author_id=self.salesman.partner_id.id,
        )
        # an e-mail about one of its orders
        touched["order message"] = self._kit_customer("Quoted Teas")
        order = self.env["sale.order"].search(
            [("partner_id", "=", touched["order message"].id)]
        )
        order.message_post(
            body="Your parcel left today.",
            message_type="email",
            subtype_xmlid="mail.mt_comment",
            author_id=self.salesman.partner_id.id,
        )
        untouched = {}
        # a log note is not sent to the customer
        untouched["note"] = self._kit_customer("Noted Teas")
        untouched["note"].message_post(
            body="Prefers calls in the morning.",
            subtype_xmlid="mail.mt_note",
            author_id=self.salesman.partner_id.id,
        )
        # a message of the customer is not a contact we made
        untouched["inbound"] = self._kit_customer("Writing Teas")
        untouched["inbound"].message_post(
            body="Where is my parcel?",
            message_type="email",
            subtype_xmlid="mail.mt_comment",
            author_id=untouched["inbound"].id,
        )
        # an order not confirmed
        untouched["quotation"] = self._kit_customer("Quoting Teas")
        self._order(untouched["quotation"], confirm=False)
        self._run()
        for source, partner in touched.items():
            with self.subTest(touch=source):
                self.assertEqual(self._count(partner), 0, source)
        for source, partner in untouched.items():
            with self.subTest(not_a_touch=source):
                self.assertEqual(self._count(partner), 1, source)

    def test_shortest_cadence_of_tier_and_stage(self):
        today = fields.Date.context_today(self.env["res.partner"])
        stability = self.stage["stability"]
        # tier every 10 days, stage every 30: the tier wins
        tier_wins = self._kit_customer("Tier Wins", order_days_ago=20, tier=self.gold)
        # a tier without cadence (0): the stage's 30 days
        stage_only = self._kit_customer(
            "Stage Only", order_days_ago=20, tier=self.silent_tier
        )
        # neither: no cadence at all
        neither = self._kit_customer(
            "No Cadence",
            order_days_ago=400,
            stage=self.stage["churned"],
            tier=self.silent_tier,
        )
        # stage every 5 days, tier every 10: the stage wins with its type
        stability.keep_in_touch_days = 5
        stage_wins = self._kit_customer(
            "Stage Wins", order_days_ago=7, stage=stability, tier=self.gold
        )
        # a tie: the tier's activity type
        bronze = self.env["crm.relationship.tier"].create(
            {
                "name": "Keep-in-touch Bronze",
                "rule": "manual",
                "keep_in_touch_days": 5,
                "keep_in_touch_activity_type_id": self.todo.id,
            }
        )
        tie = self._kit_customer("Tie", order_days_ago=7, stage=stability, tier=bronze)
        self.customers.invalidate_recordset()
        self.assertEqual(
            tier_wins.relationship_next_contact_due, today - timedelta(days=10)
        )
        self.assertEqual(
            stage_only.relationship_next_contact_due, today + timedelta(days=10)
        )
        self.assertFalse(neither.relationship_next_contact_due)
        self.assertTrue(neither.relationship_last_contact)
        self.assertEqual(
            stage_wins.relationship_next_contact_due, today - timedelta(days=2)
        )
        self.assertEqual(tie.relationship_next_contact_due, today - timedelta(days=2))
        self._run()
        self.assertEqual(self._activities(tier_wins).activity_type_id, self.todo)
        self.assertEqual(self._activities(stage_wins).activity_type_id, self.call)
        self.assertEqual(self._activities(tie).activity_type_id, self.todo)
        self.assertEqual(self._count(stage_only), 0)
        self.assertEqual(self._count(neither), 0)
        # an archived tier asks for nothing
        self.gold.active = False
        tier_wins.invalidate_recordset()
        self.assertEqual(
            tier_wins.relationship_next_contact_due, today + timedelta(days=10)
        )

    def test_job_resumes_after_a_crash(self):
        partners = self.env["res.partner"]
        for i in range(5):
            partners |= self._kit_customer(f"Batch Teas {i}", order_days_ago=45)
        original = type(partners)._relationship_keep_in_touch_batch
        calls = []

        def crash_on_second_batch(records, today):
            calls.append(records.ids)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return original(records, today)

        Partner = type(partners)
        domain = [("id", "in", partners.ids)]
        self._reset_job_progress()
        with (
            patch.object(
                Partner, "_relationship_keep_in_touch_domain", lambda self: domain
            ),
            patch.object(
                Partner, "_relationship_keep_in_touch_batch", crash_on_second_batch
            ),
        ):
            # as in test_lifecycle: a real worker commits each batch; the work
            # itself crashes, not the job's wrapper
            try:
                self.env["res.partner"]._relationship_run_keep_in_touch(batch_size=2)
            except RuntimeError as crash:
                self.assertEqual(str(crash), "worker killed")
            else:
                self.fail("the job should have crashed")
            Jobs = self.env["crm.relationship.job.failure"]
            self.assertEqual(
                Jobs._job_progress(KEEP_IN_TOUCH_JOB, self.today), partners[1].id
            )
            self.assertEqual(len(self._activities(partners)), 2)
            # the next run only does the customers still to do
            self.assertEqual(
                self.env["res.partner"]._cron_relationship_keep_in_touch(batch_size=2),
                3,
            )
            self.assertEqual(calls[2:], [partners[2:4].ids, partners[4:].ids])
            self.assertEqual(
                self.env["res.partner"]._cron_relationship_keep_in_touch(batch_size=2),
                0,
            )
        for partner in partners:
            with self.subTest(customer=partner.name):
                self.assertEqual(self._count(partner), 1)
        self.assertIsNone(Jobs._job_progress(KEEP_IN_TOUCH_JOB, self.today))

    def test_failure_is_reported(self):
        self._kit_customer("Failing Teas")
        Partner = type(self.env["res.partner"])
        with patch.object(
            Partner,
            "_relationship_keep_in_touch_batch",
            side_effect=RuntimeError("activities are locked"),
        ):
            self.assertFalse(self._run())
        failure = self.env["crm.relationship.job.failure"].search(
            [("job", "=", KEEP_IN_TOUCH_JOB), ("state", "=", "failed")]
        )
        self.assertEqual(failure.error, "activities are locked")
        self._run()
        self.assertEqual(failure.state, "resolved")

    def test_scheduled_action(self):
        cron = self.env.ref("crm_relationship.ir_cron_relationship_keep_in_touch")
        self.assertTrue(cron.active)
        self.assertEqual(cron.model_id.model, "res.partner")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
        self.assertIn("_cron_relationship_keep_in_touch", cron.code)


class TestContactFields(KeepInTouchCase):
    def test_last_contact_and_next_contact_due(self):
        customer = self._kit_customer("Form Teas", order_days_ago=None)
        order = self._order(customer, days_ago=12)
        contact = self.env["res.partner"].create(
            {"name": "Wu", "parent_id": customer.id}
        )
        unplanned = self._kit_customer(
            "Unplanned Teas", order_days_ago=5, stage=self.stage["stability"]
        )
        never = self._kit_customer("Never Touched Teas", order_days_ago=None)
        (customer | contact | unplanned | never).invalidate_recordset()
        self.assertEqual(customer.relationship_last_contact, order.date_order)
        day = customer._relationship_local_day(order.date_order)
        self.assertEqual(
            customer.relationship_next_contact_due, day + timedelta(days=30)
        )
        # a contact follows its company (the form shows the company's)
        self.assertFalse(contact.relationship_last_contact)
        self.assertFalse(contact.relationship_next_contact_due)
        # no cadence: a last contact, nothing due
        self.assertTrue(unplanned.relationship_last_contact)
        self.assertFalse(unplanned.relationship_next_contact_due)
        # never touched: counted from the creation of the customer
        self.assertFalse(never.relationship_last_contact)
        self.assertEqual(
            never.relationship_next_contact_due,
            never._relationship_local_day(never.create_date) + timedelta(days=30),
        )
        # the fields are in the relationship page of the form, read-only
        arch = self.env["res.partner"].get_view(
            self.env.ref("base.view_partner_form").id, "form"
        )["arch"]
        for name in (
            "relationship_last_contact",
            "relationship_next_contact_due",
            "relationship_no_contact",
        ):
            self.assertIn(f'name="{name}"', arch)
        self.assertTrue(
            self.env["res.partner"]._fields["relationship_last_contact"].readonly
        )

    def test_overdue_contacts(self):
        today = fields.Date.context_today(self.env["res.partner"])
        overdue = self._kit_customer("Overdue Teas", order_days_ago=40)
        due_today = self._kit_customer("Due Today Teas", order_days_ago=30)
        later = self._kit_customer("Later Teas", order_days_ago=10)
        unplanned = self._kit_customer(
            "Unplanned Teas", order_days_ago=50, stage=self.stage["stability"]
        )
        Partner = self.env["res.partner"].with_user(self.salesman)
        mine = [("id", "in", self.customers.ids)]
        action = self.env.ref(
            "crm_relationship.res_partner_action_relationship_contact_due"
        )
        views = Partner.get_views(
            [(view_id, mode) for view_id, mode in action.views]
            + [(action.search_view_id.id, "search")]
        )["views"]
        self.assertIn("relationship_next_contact_due", views["list"]["arch"])
        self.assertIn('name="contact_due"', views["search"]["arch"])
        self.assertIn("search_default_contact_due", action.context)
        self.assertIn("search_default_group_relationship_owner", action.context)
        due = Partner.search(mine + [("relationship_next_contact_due", "<=", today)])
        self.assertEqual(due, overdue | due_today)
        self.assertEqual(
            Partner.search(
                mine
                + [("relationship_next_contact_due", ">", fields.Date.to_string(today))]
            ),
            later,
        )
        self.assertEqual(
            Partner.search(mine + [("relationship_next_contact_due", "=", False)]),
            unplanned,
        )
        groups = Partner.read_group(
            mine + [("relationship_next_contact_due", "<=", today)],
            ["relationship_owner_id"],
            ["relationship_owner_id"],
        )
        self.assertEqual(
            [
                (g["relationship_owner_id"][0], g["relationship_owner_id_count"])
                for g in groups
            ],
            [(self.salesman.id, 2)],
        )
        menu = self.env.ref(
            "crm_relationship.res_partner_menu_relationship_contact_due"
        )
        self.assertEqual(
            menu.parent_id,
            self.env.ref("crm_relationship.crm_relationship_menu_customers"),
        )
        self.assertIn(
            menu.id, self.env["ir.ui.menu"].with_user(self.salesman)._visible_menu_ids()
        )


class TestContactAccess(KeepInTouchCase):
    """Who reads the contact dates and who sets "Do not contact"."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._kit_customer("Access Teas", email="buy@access.example")
        cls.contact = cls.env["res.partner"].create(
            {"name": "Ying", "parent_id": cls.customer.id, "email": "y@access.example"}
        )
        cls.portal = new_test_user(
            cls.env,
            login="kit_portal",
            groups="base.group_portal",
            partner_id=cls.contact.id,
        )
        cls.employee = new_test_user(
            cls.env,
            login="kit_employee",
            groups="base.group_user,base.group_partner_manager",
        )
        cls.salesman_contacts = new_test_user(
            cls.env,
            login="kit_salesman_contacts",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )

    def test_portal_reads_none_of_the_fields(self):
        partner = self.customer.with_user(self.portal)
        for name in (
            "relationship_no_contact",
            "relationship_last_contact",
            "relationship_next_contact_due",
        ):
            with self.subTest(field=name), self.assertRaises(AccessError):
                partner.read([name])
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.portal).search(
                [("relationship_next_contact_due", "<=", self.today)]
            )

    def test_plain_employee_reads_no_contact_dates(self):
        partner = self.customer.with_user(self.employee)
        self.assertEqual(partner.read(["name"])[0]["name"], "Access Teas")
        for name in ("relationship_last_contact", "relationship_next_contact_due"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                partner.read([name])
        # nor finds customers by them
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.employee).search(
                [("relationship_next_contact_due", "!=", False)]
            )
        # the opt-out is visible to every employee (who should not contact)
        self.assertFalse(
            partner.read(["relationship_no_contact"])[0]["relationship_no_contact"]
        )

    def test_only_relationship_users_set_do_not_contact(self):
        # an employee who may edit contacts still may not flag the customer
        with self.assertRaises(AccessError):
            self.customer.with_user(self.employee).write(
                {"relationship_no_contact": True}
            )
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.employee).create(
                {"name": "Flagged", "relationship_no_contact": True}
            )
        # a salesperson without Odoo's right to edit contacts cannot either
        with self.assertRaises(AccessError):
            self.customer.with_user(self.salesman).write(
                {"relationship_no_contact": True}
            )
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.relationship_no_contact)
        # a salesperson who edits contacts does, and it is tracked
        self.customer.with_user(self.salesman_contacts).write(
            {"relationship_no_contact": True}
        )
        self.customer.invalidate_recordset()
        self.assertTrue(self.customer.relationship_no_contact)
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = self.customer.message_ids.tracking_value_ids.filtered(
            lambda v: v.field_id.name == "relationship_no_contact"
        )
        self.assertTrue(tracked)
        self.assertFalse(self.customer.relationship_next_contact_due)
        # creating a contact without the flag is not flagging it
        self.env["res.partner"].with_user(self.employee).create({"name": "Plain"})
