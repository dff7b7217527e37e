"""Transitions as events (issue 15, item 1): every move of a customer between
stages or tiers is one record created through the ORM, so that automation
rules (base_automation) react to it; a first placement is not a move."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import RelationshipCase


class TestTransitions(RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Transition = cls.env["crm.relationship.transition"]
        cls.rel_user = new_test_user(
            cls.env,
            login="rel_transition_user",
            groups="sales_team.group_sale_salesman,"
            "crm_relationship.crm_relationship_group_user",
            name="Transition User",
        )

    def _transitions(self, partner):
        return self.Transition.search([("partner_id", "=", partner.id)], order="id")

    def test_first_placement_is_not_a_move(self):
        partner = self._customer()
        self.assertEqual(partner.relationship_stage_id, self.stage["prospect"])
        self.assertFalse(self._transitions(partner))

    def test_manual_move_is_one_transition(self):
        partner = self._customer()
        partner.with_user(self.rel_user)._relationship_set_stage(
            self.stage["formation"]
        )
        transition = self._transitions(partner)
        self.assertEqual(len(transition), 1)
        self.assertEqual(transition.kind, "stage")
        self.assertEqual(transition.from_stage_id, self.stage["prospect"])
        self.assertEqual(transition.to_stage_id, self.stage["formation"])
        self.assertFalse(transition.automatic)
        self.assertEqual(transition.user_id, self.salesman)
        self.assertEqual(transition.company_id, self.env.company)
        self.assertEqual(transition.from_label, self.stage["prospect"].name)
        self.assertIn(self.stage["formation"].name, transition.name)
        # moving to the stage the customer is in is no move
        partner.with_user(self.rel_user)._relationship_set_stage(
            self.stage["formation"]
        )
        self.assertEqual(self._transitions(partner), transition)

    def test_rules_moves_are_automatic_transitions(self):
        partner = self._customer()
        self._order(partner, days_ago=200)
        self._apply(partner)
        self.assertEqual(partner.relationship_stage_id, self.stage["decline"])
        moves = self._transitions(partner)
        self.assertEqual(moves[-1].to_stage_id, self.stage["decline"])
        self.assertTrue(all(moves.mapped("automatic")))
        count = len(moves)
        self._apply(partner)  # nothing changed: nothing new
        self.assertEqual(len(self._transitions(partner)), count)

    def test_tier_change_is_a_transition_first_tier_is_not(self):
        top = self._customer("Top buyer")
        self._order(top, qty=50)
        Partner = self.env["res.partner"]
        self.assertFalse(top.value_tier_id)
        # the customer exists before (a record created in the transaction
        # is not tracked)
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = self.env["mail.tracking.value"].search_count(
            [("mail_message_id.res_id", "=", top.id)]
        )
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = '2000-01-01' WHERE id = %s",
            [top.id],
        )
        top.invalidate_recordset()
        Partner._relationship_assign_tiers()
        self.env.flush_all()
        self.env.cr.precommit.run()  # the chatter's tracking, done at commit
        tier = top.value_tier_id
        self.assertTrue(tier)
        self.assertFalse(self._transitions(top).filtered(lambda t: t.kind == "tier"))
        # a first tier is not posted in the chatter; the row is stamped
        self.assertEqual(
            self.env["mail.tracking.value"].search_count(
                [("mail_message_id.res_id", "=", top.id)]
            ),
            tracked,
        )
        self.assertGreater(top.write_date.year, 2000)
        other = self.env["crm.relationship.tier"].search(
            [("id", "!=", tier.id)], limit=1
        )
        top.sudo().value_tier_id = other  # e.g. assigned by older figures
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = self.env["mail.tracking.value"].search_count(
            [("mail_message_id.res_id", "=", top.id)]
        )
        Partner._relationship_assign_tiers()
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.assertEqual(top.value_tier_id, tier)
        moves = self._transitions(top).filtered(lambda t: t.kind == "tier")
        self.assertEqual(len(moves), 1)
        self.assertEqual(
            (moves.from_tier_id, moves.to_tier_id, moves.value_tier_id),
            (other, tier, tier),
        )
        self.assertTrue(moves.automatic)
        # a change of tier is tracked in the chatter: one note, old and new
        values = self.env["mail.tracking.value"].search(
            [("mail_message_id.res_id", "=", top.id)], order="id"
        )
        self.assertEqual(len(values), tracked + 1)
        self.assertEqual(
            (values[-1].field_id.name, values[-1].old_value_char),
            ("value_tier_id", other.display_name),
        )
        self.assertEqual(values[-1].new_value_char, tier.display_name)
        self.assertEqual(values[-1].mail_message_id.model, "res.partner")
        self.assertEqual(
            values[-1].mail_message_id.subtype_id, self.env.ref("mail.mt_note")
        )

    def test_shipped_rule_sends_win_back_once(self):
        """The inactive "enters Decline" rule, switched on, e-mails the
        customer once per move and not on the next run."""
        rule = self.env.ref("crm_relationship.automation_stage_decline_win_back")
        self.assertFalse(rule.active)
        rule.active = True
        partner = self._customer(email="lotus@example.com")
        subject = self.env.ref("crm_relationship.mail_template_win_back").subject
        self.assertTrue(subject)
        mails = self.env["mail.mail"].search_count

        def sent():
            return mails(
                [
                    ("recipient_ids", "in", partner.ids),
                    ("subject", "like", "we miss you"),
                ]
            )

        self._order(partner, days_ago=200)
        self.assertEqual(sent(), 0)
        self._apply(partner)
        self.assertEqual(partner.relationship_stage_id, self.stage["decline"])
        self.assertEqual(sent(), 1)
        self._apply(partner)
        self.assertEqual(sent(), 1)

    def test_an_automation_rule_fires_once_per_transition(self):
        rule = self.env["base.automation"].create(
            {
                "name": "Test: note every move to Formation",
                "model_id": self.env["ir.model"]._get_id("crm.relationship.transition"),
                "trigger": "on_create_or_write",
                "filter_domain": repr(
                    [
                        ("kind", "=", "stage"),
                        ("to_stage_id", "=", self.stage["formation"].id),
                    ]
                ),
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "Note",
                "model_id": rule.model_id.id,
                "base_automation_id": rule.id,
                "usage": "base_automation",
                "state": "code",
                "code": "for t in records:\n"
                "    t.partner_id.message_post(body='moved to formation')",
            }
        )
        partners = self._customer("A") | self._customer("B") | self._customer("C")
        partners[:2].with_user(self.rel_user)._relationship_set_stage(
            self.stage["formation"]
        )
        partners[2].with_user(self.rel_user)._relationship_set_stage(
            self.stage["exploration"]
        )
        notes = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("body", "like", "moved to formation"),
            ]
        )
        self.assertEqual(sorted(notes.mapped("res_id")), sorted(partners[:2].ids))

    def test_users_read_nobody_writes(self):
        partner = self._customer()
        partner._relationship_set_stage(self.stage["formation"], automatic=True)
        transition = self._transitions(partner)
        self.assertEqual(
            transition.with_user(self.rel_user).read(["name"])[0]["id"],
            transition.id,
        )
        with self.assertRaises(AccessError):
            transition.with_user(self.rel_user).write({"kind": "tier"})
        with self.assertRaises(AccessError):
            self.Transition.with_user(self.rel_user).create(
                {"partner_id": partner.id, "kind": "stage", "company_id": 1}
            )
        portal = new_test_user(
            self.env, login="rel_transition_portal", groups="base.group_portal"
        )
        with self.assertRaises(AccessError):
            transition.with_user(portal).read(["name"])
        employee = new_test_user(
            self.env, login="rel_transition_employee", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            transition.with_user(employee).read(["name"])
