import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import SQL, config

from ..models import crm_relationship_job_failure as job_failure
from ..models import res_partner as res_partner_module
from .common import RelationshipCase


class TestLifecycleRules(RelationshipCase):
    def test_prospect_then_exploration_then_formation(self):
        partner = self._customer()
        self._apply(partner)
        self.assertEqual(partner.relationship_stage_id, self.stage["prospect"])
        quotation = self._order(partner, confirm=False)
        self._apply(partner)
        self.assertEqual(partner.relationship_stage_id, self.stage["exploration"])
        quotation.action_confirm()  # confirmation applies the rules itself
        self.assertEqual(partner.relationship_stage_id, self.stage["formation"])
        self.assertEqual(partner.relationship_order_count, 1)
        moves = partner.relationship_history_ids.sorted("id")
        self.assertEqual(
            moves.mapped("to_stage_id"),
            self.stage["prospect"]
            | self.stage["exploration"]
            | self.stage["formation"],
        )
        self.assertTrue(all(moves.mapped("automatic")))
        self.assertEqual(moves[-1].from_stage_id, self.stage["exploration"])

    def test_first_placement_rows_are_those_of_a_move(self):
        """A first placement's history row (inserted in one statement for
        many customers) holds what a move's row (ORM) holds, without a
        previous stage, playbook activity or transition."""
        Partner = self.env["res.partner"]
        first, second = Partner.create(
            [
                {"name": "Placed Teas", "relationship_stage_id": False},
                {"name": "Moved Teas", "relationship_stage_id": False},
            ]
        )
        second._relationship_set_stage(self.stage["prospect"], automatic=True)
        before = fields.Datetime.now()
        history = (first | second)._relationship_set_stage(
            self.stage["formation"], automatic=True, note="nightly"
        )
        self.assertEqual(len(history), 2)
        placed = history.filtered(lambda h: h.partner_id == first)
        moved = history - placed
        self.assertFalse(placed.from_stage_id)
        self.assertEqual(moved.from_stage_id, self.stage["prospect"])
        for row in history:
            self.assertEqual(row.to_stage_id, self.stage["formation"])
            self.assertEqual(row.company_id, self.env.company)
            self.assertEqual(row.user_id, self.env.user)
            self.assertTrue(row.automatic)
            self.assertEqual(row.note, "nightly")
            self.assertGreaterEqual(row.date, before.replace(microsecond=0))
            self.assertEqual(row.create_uid, self.env.user)
        self.assertFalse(placed.activity_scheduled)
        # read back through the partner, as its form does
        self.assertEqual(first.relationship_history_ids, placed)
        self.assertEqual(first.relationship_stage_id, self.stage["formation"])
        transitions = self.env["crm.relationship.transition"].search(
            [("partner_id", "in", (first | second).ids), ("kind", "=", "stage")]
        )
        self.assertEqual(transitions.partner_id, second)

    def test_first_placement_is_written_whole_and_not_posted(self):
        """The rules' first placement (one UPDATE for many customers) leaves
        the partner as a write would: stage, phase and date read back in the
        same transaction, the row stamped, nothing in the chatter."""
        partner = self.env["res.partner"].create(
            {"name": "Unplaced Teas", "relationship_stage_id": False}
        )
        self.assertFalse(partner.relationship_phase)  # cached before the move
        self.env.flush_all()
        self.env.cr.precommit.run()  # the partner exists: its changes are tracked
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = '2000-01-01' WHERE id = %s",
            [partner.id],
        )
        partner.invalidate_recordset(["write_date"])
        messages = len(partner.message_ids)
        self._apply(partner)
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.assertEqual(partner.relationship_stage_id, self.stage["prospect"])
        self.assertEqual(partner.relationship_phase, "prospect")
        self.assertTrue(partner.relationship_stage_date)
        self.assertGreater(partner.write_date.year, 2000)
        partner.invalidate_recordset(["message_ids"])
        self.assertEqual(len(partner.message_ids), messages)
        self.assertEqual(len(partner.relationship_history_ids), 1)

    def _row_updates(self):
        """Row versions this transaction wrote in ``res_partner`` so far."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables "
            "WHERE relid = 'res_partner'::regclass"
        )
        return self.env.cr.fetchone()[0]

    def test_first_placement_is_written_with_the_figures(self):
        """The rules place a customer without a stage with its order figures:
        one new version of its row, not one for the figures and one for the
        stage; the placement is in the moves returned."""
        partners = self.env["res.partner"].create(
            [
                {"name": f"Unplaced Teas {i}", "relationship_stage_id": False}
                for i in range(3)
            ]
        )
        for partner in partners:
            self._order(partner, days_ago=30)
        # customers of before the rules: orders, no figures, no stage
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET relationship_stage_id = NULL, "
                "relationship_order_count = NULL, relationship_revenue_12m = NULL,"
                " relationship_first_order_date = NULL, "
                "relationship_last_order_date = NULL WHERE id = ANY(%s)",
                partners.ids,
            )
        )
        partners.relationship_history_ids.unlink()
        self.env.invalidate_all()
        before = self._row_updates()
        moves = self._apply(partners)
        self.assertEqual(self._row_updates() - before, 3)
        self.assertEqual(moves, {self.stage["formation"]: partners.ids})
        self.assertEqual(
            partners.mapped("relationship_stage_id"), self.stage["formation"]
        )
        self.assertEqual(partners.mapped("relationship_order_count"), [1, 1, 1])
        self.assertEqual(
            partners.relationship_history_ids.mapped("partner_id"), partners
        )
        # the next run finds nothing to write
        before = self._row_updates()
        self.assertEqual(self._apply(partners), {})
        self.assertEqual(self._row_updates(), before)

    def test_first_placement_keeps_a_stage_or_lock_set_meanwhile(self):
        """Between the rules' read and their write, a customer may be locked
        or given a stage by someone else: the write keeps what they did (no
        stage over theirs, no placement row)."""
        placed, locked, moved = self.env["res.partner"].create(
            [
                {"name": name, "relationship_stage_id": False}
                for name in ("Placed Teas", "Locked Teas", "Moved Teas")
            ]
        )
        partners = placed | locked | moved
        stats = partners._relationship_fetch_stats(self.today)
        rules = partners._relationship_rule_columns(stats, partners.ids)
        first = partners._relationship_first_stages(rules, self.today)
        prospect = self.stage["prospect"].id
        self.assertEqual(first, dict.fromkeys(partners.ids, prospect))
        # meanwhile
        locked.sudo().relationship_stage_locked = True
        moved._relationship_set_stage(self.stage["formation"], automatic=True)
        self.env.flush_all()
        result = partners._relationship_store_stats(stats, self.today, first)
        self.assertEqual(result, {self.stage["prospect"]: placed.ids})
        self.assertEqual(placed.relationship_stage_id, self.stage["prospect"])
        self.assertTrue(placed.relationship_stage_date)
        self.assertFalse(locked.relationship_stage_id)
        self.assertFalse(locked.relationship_history_ids)
        self.assertEqual(moved.relationship_stage_id, self.stage["formation"])
        self.assertEqual(
            moved.relationship_history_ids.to_stage_id, self.stage["formation"]
        )
        # the figures are stored for all three
        for partner in partners:
            self.assertEqual(partner.relationship_order_count, 0)
        # and the moves of the same run leave the two as they are now
        moves = partners._relationship_placed_and_moved(
            result, rules, self.today, first
        )
        self.assertEqual(moves, {self.stage["prospect"]: placed.ids})
        self.assertFalse(locked.relationship_stage_id)
        self.assertEqual(moved.relationship_stage_id, self.stage["formation"])
        self.assertEqual(len(moved.relationship_history_ids), 1)

    def test_creation_places_prospects_unless_told(self):
        """Where a new partner starts is a value of its creation, not a
        context key (issue 14, item 2)."""
        Partner = self.env["res.partner"]
        prospect, unplaced, placed = Partner.create(
            [
                {"name": "New Teas", "is_company": True},
                {"name": "Imported Teas", "relationship_stage_id": False},
                {
                    "name": "Known Teas",
                    "relationship_stage_id": self.stage["formation"].id,
                },
            ]
        )
        self.assertEqual(prospect.relationship_stage_id, self.stage["prospect"])
        self.assertFalse(unplaced.relationship_stage_id)
        self.assertFalse(unplaced.relationship_history_ids)
        self.assertEqual(placed.relationship_stage_id, self.stage["formation"])
        # a context key of old changes nothing
        legacy = Partner.with_context(relationship_no_stage=True).create(
            {"name": "Context Teas"}
        )
        self.assertEqual(legacy.relationship_stage_id, self.stage["prospect"])
        # the rules place an unplaced customer like any other
        self._apply(unplaced)
        self.assertEqual(unplaced.relationship_stage_id, self.stage["prospect"])

    def test_contact_order_moves_the_company(self):
        company = self._customer()
        contact = self.env["res.partner"].create(
            {"name": "Mei Lin", "parent_id": company.id}
        )
        self._order(contact)
        self.assertEqual(company.relationship_stage_id, self.stage["formation"])
        self.assertFalse(contact.relationship_stage_id)

    def test_repeat_purchases_over_the_span_reach_stability(self):
        partner = self._customer()
        self._order(partner, days_ago=100)
        self._order(partner, days_ago=60)
        self._apply(partner)
        # span 40 days < 90: still formation
        self.assertEqual(partner.relationship_stage_id, self.stage["formation"])
        self._order(partner, days_ago=5)
        self._apply(partner)
        self.assertEqual(partner.relationship_stage_id, self.stage["stability"])

    def test_decline_uses_the_customers_own_rhythm(self):
        partner = self._customer()
        for days in (130, 120, 110, 100):  # buys every 10 days
            self._order(partner, days_ago=days)
        self._apply(partner)
        # idle 100 days > 3 x 10: declining, although < the 120 days default
        self.assertEqual(partner.relationship_stage_id, self.stage["decline"])
        self.assertAlmostEqual(partner.relationship_order_count, 4)

    def test_single_order_uses_company_default_delay(self):
        partner = self._customer()
        self._order(partner, days_ago=100)
        self._apply(partner)
        self.assertEqual(partner.relationship_stage_id, self.stage["formation"])
        self._apply(partner, days_later=30)  # idle 130 > 120
        self.assertEqual(partner.relationship_stage_id, self.stage["decline"])

    def test_churn_and_return(self):
        partner = self._customer()
        self._order(partner, days_ago=500)
        self._order(partner, days_ago=400)
        self._apply(partner)
        self.assertEqual(partner.relationship_stage_id, self.stage["churned"])
        self._order(partner, days_ago=0)
        # confirmation brought the customer back: 400 days span, 3 orders
        self.assertEqual(partner.relationship_stage_id, self.stage["stability"])
        history = partner.relationship_history_ids.sorted("id")
        self.assertEqual(history[-1].from_stage_id, self.stage["churned"])

    def test_cancelling_the_only_order_moves_back(self):
        partner = self._customer()
        order = self._order(partner)
        self.assertEqual(partner.relationship_stage_id, self.stage["formation"])
        order._action_cancel()
        self.assertEqual(partner.relationship_stage_id, self.stage["prospect"])
        self.assertEqual(partner.relationship_order_count, 0)

    def test_locked_partner_is_not_moved(self):
        partner = self._customer()
        self._apply(partner)
        partner.relationship_stage_locked = True
        self._order(partner)
        self.assertEqual(partner.relationship_stage_id, self.stage["prospect"])
        self.assertEqual(partner.relationship_order_count, 1)

    def test_thresholds_come_from_settings(self):
        settings = self.env["res.config.settings"].create(
            {"relationship_decline_days": 10, "relationship_churn_days": 20}
        )
        settings.execute()
        self.assertEqual(self.company.relationship_decline_days, 10)
        partner = self._customer()
        self._order(partner, days_ago=15)
        self._apply(partner)
        self.assertEqual(partner.relationship_stage_id, self.stage["decline"])

    def test_each_company_its_own_thresholds_in_one_batch(self):
        """The rules run on arrays, per company: in one batch, a customer of
        another company follows that company's delays, a customer without
        company the current company's."""
        other = self.env["res.company"].create(
            {"name": "Strict Tea Co", "relationship_decline_days": 10}
        )
        self.env.user.company_ids |= other
        self.company.relationship_decline_days = 120
        strict = self._customer("Strict Customer", company_id=other.id)
        relaxed = self._customer("Relaxed Customer", company_id=False)
        self._order(strict, days_ago=15, company_id=other.id)
        self._order(relaxed, days_ago=15)
        (strict | relaxed)._relationship_apply_rules(today=self.today)
        self.assertEqual(strict.relationship_stage_id, self.stage["decline"])
        self.assertEqual(relaxed.relationship_stage_id, self.stage["formation"])
        phases = self.env["res.partner"]._relationship_target_phases(
            {
                "count": [0, 0, 1, 3, 3, 2],
                "quotations": [0, 2, 0, 0, 0, 0],
                "first": [0, 0, self.today.toordinal() - 5] * 2,
                "last": [0, 0] + [self.today.toordinal() - d for d in (5, 400, 50, 0)],
                "median_gap": [
                    float("nan"),
                    float("nan"),
                    float("nan"),
                    10.0,
                    5.0,
                    0.0,
                ],
            },
            self.company,
            self.today,
        )
        # no order; quotations only; one recent order; churned; idle 50 days
        # > 3 x 5 days of its rhythm; a rhythm of 0 days uses the default delay
        self.assertEqual(
            list(phases),
            ["prospect", "exploration", "formation", "churned", "decline", "formation"],
        )


class TestManualMovesAndPlaybook(RelationshipCase):
    def test_manual_move_to_decline_needs_a_reason(self):
        partner = self._customer()
        self._order(partner)
        with self.assertRaisesRegex(UserError, "needs a reason"):
            partner.with_user(self.salesman).write(
                {"relationship_stage_id": self.stage["decline"].id}
            )
        self.assertEqual(partner.relationship_stage_id, self.stage["formation"])
        reason = self.env.ref("crm_relationship.reason_price")
        wizard = (
            self.env["crm.relationship.stage.change"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_ids": [(6, 0, partner.ids)],
                    "stage_id": self.stage["decline"].id,
                    "reason_id": reason.id,
                    "note": "Moved to a marketplace seller",
                }
            )
        )
        self.assertTrue(wizard.reason_required)
        wizard.action_apply()
        self.assertEqual(partner.relationship_stage_id, self.stage["decline"])
        last = partner.relationship_history_ids.sorted("id")[-1]
        self.assertFalse(last.automatic)
        self.assertEqual(last.reason_id, reason)
        self.assertEqual(last.user_id, self.salesman)
        self.assertEqual(last.note, "Moved to a marketplace seller")

    def test_wizard_refuses_missing_reason(self):
        partner = self._customer()
        wizard = self.env["crm.relationship.stage.change"].create(
            {"partner_ids": [(6, 0, partner.ids)], "stage_id": self.stage["churned"].id}
        )
        with self.assertRaisesRegex(UserError, "Choose a reason"):
            wizard.action_apply()
        self.assertEqual(partner.relationship_stage_id, self.stage["prospect"])
        self.assertEqual(
            partner.relationship_history_ids.to_stage_id, self.stage["prospect"]
        )

    def test_playbook_activity_once_per_entry(self):
        partner = self._customer()
        self._order(partner)  # enters formation: welcome activity
        activities = partner.activity_ids.filtered(
            lambda a: a.summary == "Welcome the new customer"
        )
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.salesman)
        self._apply(partner)
        self._apply(partner)
        partner.write({"relationship_stage_id": self.stage["formation"].id})
        self.assertEqual(
            len(
                partner.activity_ids.filtered(lambda a: a.summary == activities.summary)
            ),
            1,
        )

    def test_stage_in_use_cannot_be_deleted(self):
        partner = self._customer()
        self._apply(partner)
        with self.assertRaisesRegex(UserError, "archive the stage"):
            self.stage["prospect"].unlink()


class TestRevenue(RelationshipCase):
    def test_revenue_in_company_currency(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        usd = self.company.currency_id
        foreign = eur if usd != eur else self.env.ref("base.USD")
        foreign.active = True
        self.env["res.currency.rate"].search(
            [("currency_id", "in", (foreign | usd).ids)]
        ).unlink()
        self.env["res.currency.rate"].create(
            {"currency_id": foreign.id, "rate": 2.0, "name": "2000-01-01"}
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign", "currency_id": foreign.id}
        )
        partner = self._customer()
        self._order(partner, qty=10, price=100.0, pricelist_id=pricelist.id)  # 1000
        self._order(partner, qty=1)  # 100 company currency
        self._order(partner, days_ago=400, qty=50)  # older than 12 months
        self._apply(partner)
        self.assertAlmostEqual(partner.relationship_revenue_12m, 600.0)
        self.assertEqual(partner.relationship_order_count, 3)


class TestPipelineDrop(RelationshipCase):
    def test_drop_on_decline_asks_for_a_reason(self):
        partner = self._customer()
        self._order(partner)
        action = partner.with_user(self.salesman).action_relationship_drop_on_stage(
            self.stage["decline"].id
        )
        self.assertEqual(action["res_model"], "crm.relationship.stage.change")
        self.assertEqual(
            action["context"]["default_stage_id"], self.stage["decline"].id
        )
        self.assertEqual(action["context"]["default_partner_ids"], partner.ids)
        # the drop itself changed nothing: the wizard does the move
        self.assertEqual(partner.relationship_stage_id, self.stage["formation"])

    def test_drop_on_other_stages_moves_directly(self):
        partner = self._customer()
        self._order(partner)
        self.assertFalse(
            partner.with_user(self.salesman).action_relationship_drop_on_stage(
                self.stage["stability"].id
            )
        )
        self.company.relationship_require_reason = False
        self.assertFalse(
            partner.action_relationship_drop_on_stage(self.stage["churned"].id)
        )
        partner.with_user(self.salesman).write(
            {"relationship_stage_id": self.stage["churned"].id}
        )
        last = partner.relationship_history_ids.sorted("id")[-1]
        self.assertEqual(last.to_stage_id, self.stage["churned"])
        self.assertFalse(last.automatic)

    def test_stage_changes_are_tracked_in_the_chatter(self):
        partner = self._customer()
        self._order(partner)
        self.env.flush_all()
        self.env.cr.precommit.run()
        partner.with_user(self.salesman).write(
            {"relationship_stage_id": self.stage["stability"].id}
        )
        self.env.flush_all()
        self.env.cr.precommit.run()
        values = partner.message_ids.sudo().tracking_value_ids.filtered(
            lambda v: v.field_id.name == "relationship_stage_id"
        )
        self.assertTrue(values, "the stage change must be tracked")
        self.assertEqual(values[0].old_value_char, "Formation")
        self.assertEqual(values[0].new_value_char, "Stability")

    def _stage_messages(self, partner):
        """The chatter messages of ``partner`` with a tracked stage."""
        partner.invalidate_recordset(["message_ids"])
        return partner.sudo().message_ids.filtered(
            lambda m: m.tracking_value_ids.filtered(
                lambda v: v.field_id.name == "relationship_stage_id"
            )
        )

    def _commit_tracking(self):
        self.env.flush_all()
        self.env.cr.precommit.run()

    def test_rules_moves_are_logged_as_odoo_tracks_them(self):
        """The rules move many customers at once: each moved customer gets
        the note Odoo's tracking posts (same author, type, subtype and
        tracking values as a change tracked by Odoo at commit), logged in
        one batch; a customer already tracked in the transaction gets one
        message with both changes, not two."""
        moved = self._customer("Moved One") | self._customer("Moved Two")
        by_hand = self._customer("Moved By Hand")
        pending = self._customer("Pending Change")
        for partner in moved | by_hand | pending:
            self._order(partner, days_ago=200)
        self._commit_tracking()  # the customers exist: changes are tracked
        before = {p: self._stage_messages(p) for p in moved | by_hand | pending}
        # Odoo's own tracking, for comparison
        by_hand.sudo().with_context(mail_notrack=False).write(
            {"relationship_stage_locked": False}
        )
        by_hand.sudo()._relationship_set_stage(self.stage["decline"])
        # a tracked change made earlier in the transaction (Odoo tracks it)
        pending.sudo().write({"value_tier_locked": True})
        Partner = type(self.env["res.partner"])
        with (
            patch.object(
                Partner, "_message_log", autospec=True, side_effect=Partner._message_log
            ) as one_by_one,
            patch.object(
                Partner,
                "_message_log_batch",
                autospec=True,
                side_effect=Partner._message_log_batch,
            ) as batch,
        ):
            self._apply(moved)
            self.env.flush_all()
        # logged at once in one batch, nothing left for Odoo's tracking
        one_by_one.assert_not_called()
        self.assertEqual(
            [set(call.args[0].ids) for call in batch.call_args_list], [set(moved.ids)]
        )
        pending_ids = self.env.cr.precommit.data.get("mail.tracking.res.partner", {})
        self.assertFalse(set(moved.ids) & set(pending_ids))
        # a customer Odoo already tracks in the transaction keeps Odoo's
        # tracking (one message at commit)
        self._apply(pending)
        self._commit_tracking()
        reference = self._stage_messages(by_hand) - before[by_hand]
        self.assertEqual(len(reference), 1)

        def shape(message):
            values = message.tracking_value_ids.filtered(
                lambda v: v.field_id.name == "relationship_stage_id"
            )
            return (
                message.author_id,
                message.message_type,
                message.subtype_id,
                message.is_internal,
                str(message.body or ""),
                message.model,
                [(v.field_id, v.old_value_char, v.new_value_char) for v in values],
                [(v.old_value_integer, v.new_value_integer) for v in values],
            )

        expected = shape(reference)
        for partner in moved:
            self.assertEqual(partner.relationship_stage_id, self.stage["decline"])
            messages = self._stage_messages(partner) - before[partner]
            self.assertEqual(len(messages), 1, partner.name)
            self.assertEqual(messages.res_id, partner.id)
            self.assertEqual(shape(messages), expected)
        self.assertEqual(pending.relationship_stage_id, self.stage["decline"])
        messages = self._stage_messages(pending) - before[pending]
        self.assertEqual(len(messages), 1)
        self.assertEqual(
            set(messages.tracking_value_ids.field_id.mapped("name")),
            {"relationship_stage_id", "value_tier_locked"},
        )
        # nothing left for Odoo's tracking at the next commit
        self._commit_tracking()
        for partner in moved | pending:
            self.assertEqual(len(self._stage_messages(partner) - before[partner]), 1)


class TestRefunds(RelationshipCase):
    def _refund(self, partner, amount, days_ago=0, post=True):
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": partner.id,
                "invoice_date": self.today - timedelta(days=days_ago),
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.product.id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [(6, 0, [])],
                        },
                    )
                ],
            }
        )
        if post:
            refund.action_post()
        return refund

    def test_posted_refunds_of_the_year_are_subtracted(self):
        partner = self._customer()
        self._order(partner, qty=10)  # 1000
        self._refund(partner, 250.0)  # counts
        self._refund(partner, 40.0, post=False)  # draft: ignored
        self._refund(partner, 70.0, days_ago=400)  # older than 12 months: ignored
        self._apply(partner)
        self.assertAlmostEqual(partner.relationship_revenue_12m, 750.0)

    def test_refund_of_a_contact_counts_for_the_company(self):
        partner = self._customer()
        contact = self.env["res.partner"].create(
            {"name": "Mei Lin", "parent_id": partner.id}
        )
        self._order(contact, qty=4)  # 400
        self._refund(contact, 100.0)
        self._apply(contact)
        self.assertAlmostEqual(partner.relationship_revenue_12m, 300.0)


class TestDaysPerStage(RelationshipCase):
    def test_stays_last_until_the_next_entry(self):
        partner = self._customer()
        self._apply(partner)  # prospect
        first = partner.relationship_history_ids
        first.date = fields.Datetime.now() - timedelta(days=10)
        self._order(partner)  # formation, now
        second = partner.relationship_history_ids - first
        second.date = fields.Datetime.now() - timedelta(days=4)
        self.env.flush_all()
        stays = self.env["crm.relationship.stage.duration"].search(
            [("partner_id", "=", partner.id)], order="date_from"
        )
        self.assertEqual(
            stays.stage_id, self.stage["prospect"] | self.stage["formation"]
        )
        self.assertAlmostEqual(stays[0].days, 6.0, places=3)
        self.assertFalse(stays[0].is_current)
        self.assertAlmostEqual(stays[1].days, 4.0, delta=0.01)
        self.assertTrue(stays[1].is_current)
        groups = self.env["crm.relationship.stage.duration"].read_group(
            [("partner_id", "=", partner.id), ("is_current", "=", False)],
            ["days:avg"],
            ["stage_id"],
        )
        self.assertAlmostEqual(groups[0]["days"], 6.0, places=3)


class TestRulesJob(RelationshipCase):
    def test_time_boxed_passes(self):
        """Past its deadline a call stops after a whole batch and triggers the
        scheduled action again; the calls together give the result of one
        uninterrupted run (issue 13, item 9)."""
        partners = self.env["res.partner"].create(
            [{"name": f"Sliced customer {i}", "is_company": True} for i in range(5)]
        )
        self._order(partners[0], days_ago=200)
        self._order(partners[0], days_ago=20)
        self._order(partners[3], days_ago=5, price=400.0)
        self._reset_job_progress()
        Partner = type(partners)
        domain = [("id", "in", partners.ids)]
        cron = self.env.ref("crm_relationship.ir_cron_relationship_rules")
        Trigger = self.env["ir.cron.trigger"]
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        past = time.monotonic() - 1
        names = ["relationship_stage_id", "relationship_order_count"]
        names += ["relationship_revenue_12m"]
        with patch.object(Partner, "_relationship_rule_domain", lambda self: domain):
            done = [
                self.env["res.partner"]._relationship_run_rules(
                    batch_size=2, deadline=past
                )
                for _call in range(3)
            ]
            self.assertEqual(done, [2, 2, 1])
            self.assertEqual(
                Trigger.search_count([("cron_id", "=", cron.id)]), triggers + 2
            )
            partners.invalidate_recordset()
            sliced = partners.read(names)
            # the day is done: a further call does nothing
            self.assertEqual(self.env["res.partner"]._relationship_run_rules(), 0)
            # one uninterrupted run over the same customers changes nothing
            self._reset_job_progress()
            self.assertEqual(self.env["res.partner"]._relationship_run_rules(), 5)
        partners.invalidate_recordset()
        self.assertEqual(partners.read(names), sliced)
        self.assertEqual(partners[0].relationship_stage_id, self.stage["stability"])
        self.assertEqual(partners[3].relationship_order_count, 1)

    def test_a_pass_over_budget_does_nothing_more(self):
        """Odoo calls a job again at once while it reports remaining work,
        all within one time limit: once the pass used its budget, a call does
        nothing and reports no work, which ends Odoo's loop."""
        self.env["ir.config_parameter"].set_param(
            "crm_relationship.job_time_budget", "0.000001"
        )
        # as Odoo's cron loop calls it: with a progress record in the context
        cron = self.env.ref("crm_relationship.ir_cron_relationship_rules")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        Jobs = self.env["crm.relationship.job.failure"].with_context(
            ir_cron_progress_id=progress.id
        )
        job_failure._passes.clear()
        calls = []

        def work(deadline):
            calls.append(deadline)
            time.sleep(0.001)
            return len(calls)

        self.assertEqual(Jobs._run_cron_job("crm_relationship.test", "Test", work), 1)
        self.assertIsNone(Jobs._run_cron_job("crm_relationship.test", "Test", work))
        self.assertEqual(len(calls), 1)
        # no work reported: Odoo's loop ends (its trigger starts the next pass)
        self.assertEqual((progress.done, progress.remaining), (0, 1))
        # outside Odoo's cron loop, every call is a pass of its own
        self.assertEqual(
            self.env["crm.relationship.job.failure"]._run_cron_job(
                "crm_relationship.test", "Test", work
            ),
            2,
        )
        # a later pass (calls more than a few seconds apart) works again
        key = (self.env.cr.dbname, "crm_relationship.test")
        job_failure._passes[key][1] -= 60
        self.assertEqual(Jobs._run_cron_job("crm_relationship.test", "Test", work), 3)

    def test_time_budget_follows_odoo_limits(self):
        Jobs = self.env["crm.relationship.job.failure"]
        with patch.dict(
            config.options, {"limit_time_real_cron": -1, "limit_time_real": 120}
        ):
            self.assertEqual(Jobs._job_time_budget(), 60.0)
        with patch.dict(
            config.options, {"limit_time_real_cron": 300, "limit_time_real": 120}
        ):
            self.assertEqual(Jobs._job_time_budget(), 150.0)
            self.env["ir.config_parameter"].set_param(
                "crm_relationship.job_time_budget", "20"
            )
            self.assertEqual(Jobs._job_time_budget(), 20.0)
            self.env["ir.config_parameter"].set_param(
                "crm_relationship.job_time_budget", "soon"
            )
            self.assertEqual(Jobs._job_time_budget(), 150.0)

    def test_job_resumes_after_a_crash(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Batch customer {i}", "is_company": True} for i in range(5)]
        )
        self._order(partners[-1])
        self._reset_job_progress()
        original = type(partners)._relationship_apply_rules
        calls = []

        def crash_on_second_batch(records, today=None):
            calls.append(records.ids)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return original(records, today)

        Partner = type(partners)
        domain = [("id", "in", partners.ids)]
        with (
            patch.object(Partner, "_relationship_rule_domain", lambda self: domain),
            patch.object(Partner, "_relationship_apply_rules", crash_on_second_batch),
        ):
            # a real worker commits each batch; Odoo's assertRaises would roll
            # the savepoint back, so the crash is caught by hand. A kill -9
            # runs no handler: the work itself crashes, not the job's wrapper
            # that reports failures (tested in test_rpc_access.py)
            try:
                self.env["res.partner"]._relationship_run_rules(batch_size=2)
            except RuntimeError as crash:
                self.assertEqual(str(crash), "worker killed")
            else:
                self.fail("the job should have crashed")
            # the first batch is done: the job knows where to resume, the
            # partners carry no stamp
            Jobs = self.env["crm.relationship.job.failure"]
            self.assertEqual(
                Jobs._job_progress("crm_relationship.rules", self.today),
                partners[1].id,
            )
            # the next run only does the customers still to do
            self.assertEqual(
                self.env["res.partner"]._cron_relationship_rules(batch_size=2), 3
            )
            self.assertEqual(calls[2:], [partners[2:4].ids, partners[4:].ids])
            self.assertEqual(
                self.env["res.partner"]._cron_relationship_rules(batch_size=2), 0
            )
        self.assertEqual(partners[-1].relationship_stage_id, self.stage["formation"])
        self.assertEqual(partners[-1].relationship_order_count, 1)
        self.assertIsNone(
            self.env["crm.relationship.job.failure"]._job_progress(
                "crm_relationship.rules", self.today
            )
        )


class TestOrderFacts(RelationshipCase):
    """The statistics read the per-customer/per-day order facts shared with
    the scoring addon (issue 13, item 4)."""

    def test_median_gap_of_orders_from_purchase_days(self):
        median = res_partner_module._median_gap
        self.assertIsNone(median([], 0))  # one order
        self.assertEqual(median([], 1), 0.0)  # two orders on one day
        self.assertEqual(median([10.0], 0), 10.0)
        # gaps 0, 0, 5, 30: PostgreSQL's percentile_cont(0.5) = 2.5
        self.assertEqual(median([5.0, 30.0], 2), 2.5)
        self.assertEqual(median([5.0, 7.0, 30.0], 0), 7.0)

    def test_statistics_from_facts_equal_statistics_from_orders(self):
        customer = self.env["res.partner"].create(
            {"name": "Facts Teas", "is_company": True}
        )
        for days_ago in (200, 100, 100, 40, 10):
            self._order(customer, days_ago=days_ago)
        direct = customer._relationship_fetch_stats(self.today)[customer.id]
        self.assertEqual(direct["count"], 5)
        # gaps 0, 60, 30, 100 days between the five orders
        self.assertEqual(direct["median_gap"], 45.0)
        Partner = self.env["res.partner"]
        self.env.cr.execute(
            SQL(
                "CREATE TEMPORARY TABLE test_order_facts AS %s",
                Partner._relationship_order_facts_query(SQL("cp.id = %s", customer.id)),
            )
        )
        from_facts = customer._relationship_fetch_stats(
            self.today, facts="test_order_facts"
        )[customer.id]
        # (the scoring addon adds P(alive) to the statistics it is asked for)
        direct.pop("p_alive", None)
        from_facts.pop("p_alive", None)
        self.assertEqual(from_facts, direct)
