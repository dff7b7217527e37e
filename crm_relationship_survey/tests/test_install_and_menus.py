"""The addon installs, its satisfaction surveys action and menus open for
the right users (the end-to-end tour)."""

from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval


class InstallCase(TransactionCase):
    """A survey user and a salesperson: what the first screens need (the
    satisfaction tests use ``common.SatisfactionCase``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey_user = new_test_user(
            cls.env,
            login="rel_survey_user",
            groups="sales_team.group_sale_salesman,survey.group_survey_user",
            name="Survey Officer",
        )
        cls.satisfaction = cls.env["survey.survey"].create(
            {"title": "Post-purchase satisfaction", "survey_type": "survey"}
        )
        cls.live = cls.env["survey.survey"].create(
            {"title": "Live quiz night", "survey_type": "live_session"}
        )


class TestInstall(InstallCase):
    def test_module_installed(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "crm_relationship_survey")]
        )
        self.assertEqual(module.state, "installed")

    def test_action_lists_satisfaction_surveys_only(self):
        action = self.env.ref(
            "crm_relationship_survey.survey_survey_action_satisfaction"
        )
        found = (
            self.env["survey.survey"]
            .with_user(self.survey_user)
            .search(
                safe_eval(action.domain)
                + [("id", "in", (self.satisfaction | self.live).ids)]
            )
        )
        self.assertEqual(found, self.satisfaction)
        self.assertEqual(safe_eval(action.context)["default_survey_type"], "survey")

    def test_menu_requires_survey_rights(self):
        menu = self.env.ref("crm_relationship_survey.survey_survey_menu_satisfaction")
        menus = (
            self.env["ir.ui.menu"].with_user(self.survey_user).load_menus(debug=False)
        )
        self.assertIn(menu.id, menus)
        salesman = new_test_user(
            self.env,
            login="rel_plain_salesman",
            groups="sales_team.group_sale_salesman",
        )
        menus = self.env["ir.ui.menu"].with_user(salesman).load_menus(debug=False)
        self.assertNotIn(menu.id, menus)


@tagged("post_install", "-at_install")
class TestSurveyTour(HttpCase, InstallCase):
    def test_survey_menu_tour(self):
        self.start_tour(
            "/odoo", "crm_relationship_survey_menu_tour", login="rel_survey_user"
        )
