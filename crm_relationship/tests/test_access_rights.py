"""Access rights through the ORM: what portal users, salespeople and other
companies read of the stage history and tiers (the RPC surface is
test_rpc_access.py)."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import RelationshipCase


class TestAccess(RelationshipCase):
    def test_portal_cannot_read_history_or_tiers(self):
        portal = new_test_user(
            self.env, login="rel_portal_2", groups="base.group_portal"
        )
        partner = self._customer()
        self._apply(partner)
        with self.assertRaises(AccessError):
            self.env["crm.relationship.stage.history"].with_user(portal).search([])
        with self.assertRaises(AccessError):
            self.env["crm.relationship.tier"].with_user(portal).search([])

    def test_salesman_reads_but_cannot_configure(self):
        self.assertTrue(
            self.env["crm.relationship.tier"].with_user(self.salesman).search([])
        )
        with self.assertRaises(AccessError):
            self.env["crm.relationship.stage"].with_user(self.salesman).create(
                {"name": "Mine", "phase": "formation"}
            )
        manager = new_test_user(
            self.env, login="rel_mgr", groups="sales_team.group_sale_manager"
        )
        self.assertTrue(
            manager.has_group("crm_relationship.crm_relationship_group_manager")
        )

    def test_other_company_history_is_invisible(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        user_b = new_test_user(
            self.env,
            login="rel_user_b",
            groups="sales_team.group_sale_salesman",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        partner = self._customer(company_id=self.company.id)
        self._apply(partner)
        history = partner.relationship_history_ids
        self.assertTrue(history)
        visible = (
            self.env["crm.relationship.stage.history"]
            .with_user(user_b)
            .search([("id", "in", history.ids)])
        )
        self.assertFalse(visible)
        tier_a = self.env["crm.relationship.tier"].create(
            {"name": "A only", "rule": "manual", "company_id": self.company.id}
        )
        self.assertFalse(
            self.env["crm.relationship.tier"]
            .with_user(user_b)
            .search([("id", "=", tier_a.id)])
        )
