"""Run by ``make test`` (setup/dev.py) against a database installed with
``--without-demo=all``: the addons' demo generators must not have run.

Not collected by the other test runs (the name does not start with test_).
"""

from odoo.tests import TransactionCase

ADDONS = ("crm_relationship", "crm_relationship_scoring", "crm_relationship_survey")


class TestNoDemoData(TransactionCase):
    # outside odoo.addons, Odoo's test metaclass leaves the class untagged
    test_tags = {"standard", "at_install"}
    test_module = "crm_relationship"
    test_class = "TestNoDemoData"
    test_sequence = 0

    def test_installed_without_demo(self):
        modules = self.env["ir.module.module"].search([("name", "in", ADDONS)])
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        self.assertFalse(any(modules.mapped("demo")))

    def test_no_demo_records(self):
        self.assertFalse(
            self.env["ir.model.data"].search_count(
                [("module", "in", ADDONS), ("name", "=like", "demo\\_%")]
            )
        )
        # the generators' records, whatever their XML ids
        self.assertFalse(self.env["sale.order"].search_count([]))
        self.assertFalse(self.env["crm.relationship.complaint"].search_count([]))
        self.assertFalse(self.env["crm.relationship.score.run"].search_count([]))
        self.assertFalse(
            self.env["survey.user_input"].search_count(
                [("relationship_kind", "!=", False)]
            )
        )
        self.assertFalse(
            self.env["res.users"].search_count(
                [("login", "in", ["emma.collins@example.com", "lin.mei@example.com"])]
            )
        )
        self.assertFalse(
            self.env["res.partner"].search_count([("relationship_order_count", ">", 0)])
        )
        company = self.env.ref("base.main_company")
        self.assertFalse(company.survey_order_survey_id)
        self.assertFalse(self.env.ref("base.CNY").active)

    def test_no_demo_code_registered(self):
        """The generators are plain modules under each addon's ``demo/``,
        imported by the demo data only: no model, no module loaded."""
        import sys

        self.assertFalse(
            [
                name
                for name in self.env.registry
                if name.startswith("crm.relationship.demo")
            ]
        )
        self.assertFalse(
            self.env["ir.model"].search_count(
                [("model", "=like", "crm.relationship.%demo%")]
            )
        )
        self.assertFalse(
            [
                name
                for name in sys.modules
                if name.startswith("odoo.addons.crm_relationship") and ".demo" in name
            ]
        )
