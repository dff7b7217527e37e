from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval


class TestRelationshipFoundation(TransactionCase):
    """The application is installed, its menus and views load per group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="rel_salesman",
            groups="sales_team.group_sale_salesman",
            name="Relationship Salesman",
        )
        cls.portal_user = new_test_user(
            cls.env, login="rel_portal", groups="base.group_portal"
        )
        cls.root = cls.env.ref("crm_relationship.crm_relationship_menu_root")

    def test_module_installed(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "crm_relationship")]
        )
        self.assertEqual(module.state, "installed")
        self.assertEqual(module.installed_version.split(".")[:2], ["18", "0"])

    def test_root_menu_visible_to_salesman(self):
        menus = self.env["ir.ui.menu"].with_user(self.salesman).load_menus(debug=False)
        self.assertIn(self.root.id, menus["root"]["children"])
        self.assertEqual(menus[self.root.id]["name"], "Relationships")
        customers = self.env.ref("crm_relationship.res_partner_menu_relationship")
        self.assertIn(customers.id, menus)
        self.assertEqual(
            menus[customers.id]["action"],
            "ir.actions.act_window,{}".format(
                self.env.ref("crm_relationship.res_partner_action_relationship").id
            ),
        )

    def test_root_menu_hidden_from_plain_employees(self):
        employee = new_test_user(
            self.env, login="rel_employee", groups="base.group_user"
        )
        menus = self.env["ir.ui.menu"].with_user(employee).load_menus(debug=False)
        self.assertNotIn(self.root.id, menus["root"]["children"])

    def test_portal_users_cannot_load_backend_menus(self):
        with self.assertRaises(AccessError):
            self.env["ir.ui.menu"].with_user(self.portal_user).load_menus(debug=False)

    def test_zh_cn_translation_is_loaded(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crm_relationship"], ["zh_CN"])
        self.assertEqual(self.root.with_context(lang="zh_CN").name, "客户关系")
        self.assertEqual(self.root.with_context(lang="en_US").name, "Relationships")

    def test_customer_views_load_for_salesman(self):
        partners = self.env["res.partner"].with_user(self.salesman)
        views = partners.get_views(
            [(False, "kanban"), (False, "list"), (False, "form")]
        )
        self.assertEqual(set(views["views"]), {"kanban", "list", "form"})

    def test_customer_action_lists_commercial_partners_only(self):
        action = self.env.ref("crm_relationship.res_partner_action_relationship")
        company = self.env["res.partner"].create(
            {"name": "Lotus Home Goods", "is_company": True, "customer_rank": 1}
        )
        contact = self.env["res.partner"].create(
            {"name": "Mei Lin", "parent_id": company.id}
        )
        domain = safe_eval(action.domain)
        found = (
            self.env["res.partner"]
            .with_user(self.salesman)
            .search(domain + [("id", "in", (company | contact).ids)])
        )
        self.assertEqual(found, company)


@tagged("post_install", "-at_install")
class TestRelationshipTour(HttpCase):
    def test_menu_tour(self):
        new_test_user(
            self.env,
            login="rel_tour_salesman",
            groups="sales_team.group_sale_salesman",
            name="Tour Salesman",
        )
        customer = self.env["res.partner"].create(
            {"name": "Harbour Tea Traders", "is_company": True, "customer_rank": 1}
        )
        self.assertEqual(customer.relationship_phase, "prospect")
        self.start_tour(
            "/odoo", "crm_relationship_menu_tour", login="rel_tour_salesman"
        )
        self.assertEqual(customer.relationship_phase, "decline")
        last = customer.relationship_history_ids.sorted("id")[-1]
        self.assertFalse(last.automatic)
        self.assertEqual(last.reason_id, self.env.ref("crm_relationship.reason_price"))
        self.assertEqual(last.note, "Asked for a discount twice")
        self.assertEqual(last.user_id.login, "rel_tour_salesman")
