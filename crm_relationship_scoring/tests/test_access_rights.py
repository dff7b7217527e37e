"""Access rights through the ORM: who reads the scores (never the portal),
who recomputes and edits runs, company rules, views and menus per group
(the RPC surface is test_rpc_access.py)."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import ScoringCase

#: score fields of the partner read in the access checks
READ_FIELDS = ["clv_value", "rfm_segment", "churn_risk", "score_explanation"]


class TestScoringAccess(ScoringCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        companies = [(6, 0, (cls.company | cls.main_company).ids)]
        cls.user = new_test_user(
            cls.env,
            login="scoring_user",
            groups="crm_relationship.crm_relationship_group_user",
            company_id=cls.company.id,
            company_ids=companies,
        )
        cls.manager = new_test_user(
            cls.env,
            login="scoring_manager",
            groups="crm_relationship.crm_relationship_group_manager",
            company_id=cls.company.id,
            company_ids=companies,
        )
        cls.employee = new_test_user(
            cls.env,
            login="scoring_employee",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=companies,
        )
        cls.portal = new_test_user(
            cls.env, login="scoring_portal", groups="base.group_portal"
        )
        cls.customer = cls.portal.partner_id
        cls.customer.write({"is_company": True, "company_id": False})
        cls._orders([(cls.customer, 40, 300.0), (cls.customer, 8, 200.0)])

    def test_portal_users_never_see_scores(self):
        self._score()
        self.assertTrue(self.customer.clv_value)
        customer = self.customer.with_user(self.portal)
        self.assertEqual(customer.read(["name"])[0]["name"], self.customer.name)
        for field in READ_FIELDS:
            with self.subTest(field=field):
                with self.assertRaises(AccessError):
                    customer.read([field])
        with self.assertRaises(AccessError):
            customer.search_read([("id", "=", customer.id)], ["p_alive"])
        self.assertNotIn(
            "clv_value", self.env["res.partner"].with_user(self.portal).fields_get()
        )
        with self.assertRaises(AccessError):
            self.env["crm.relationship.score.snapshot"].with_user(self.portal).search(
                []
            )

    def test_relationship_users_read_scores(self):
        run = self._score()
        customer = self.customer.with_user(self.user)
        values = customer.read(READ_FIELDS)[0]
        self.assertEqual(values["clv_value"], self.customer.clv_value)
        self.assertTrue(values["score_explanation"])
        snapshots = customer.score_snapshot_ids
        self.assertEqual(len(snapshots), 1)
        self.assertEqual(snapshots.run_id.with_user(self.user).customer_count, 1)
        self.assertEqual(run.with_user(self.user).read(["method"])[0]["id"], run.id)
        with self.assertRaises(AccessError):
            snapshots.write({"health_score": 100})
        with self.assertRaises(AccessError):
            run.with_user(self.user).write({"customer_count": 0})
        with self.assertRaises(AccessError):
            run.with_user(self.user).unlink()

    def test_only_managers_recompute_and_edit_runs(self):
        with self.assertRaises(AccessError):
            self.Run.with_user(self.user).action_recompute(self.company)
        with self.assertRaises(AccessError):
            self.company.with_user(self.user).write(
                {"relationship_score_horizon_months": 6}
            )
        action = (
            self.Run.with_user(self.manager)
            .with_company(self.company)
            .action_recompute()
        )
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("1 customers scored", action["params"]["message"])
        run = self.Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(run.state, "done")
        self.assertTrue(self.customer.score_date)
        # runs are the job's: not even an administrator edits or deletes one
        with self.assertRaises(AccessError):
            run.with_user(self.manager).write({"reason": "checked"})
        with self.assertRaises(AccessError):
            run.with_user(self.manager).unlink()
        self.assertTrue(run.exists())
        self.assertNotEqual(run.reason, "checked")

    def test_settings_recompute_button(self):
        settings = (
            self.env["res.config.settings"]
            .with_company(self.company)
            .create({"relationship_score_horizon_months": 18})
        )
        settings.execute()
        self.assertEqual(self.company.relationship_score_horizon_months, 18)
        action = settings.action_relationship_recompute_scores()
        self.assertEqual(action["tag"], "display_notification")
        run = self.Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(run.customer_count, 1)
        self.assertEqual(
            self.env["res.config.settings"]
            .with_company(self.company)
            .create({})
            .relationship_score_last_run_id,
            run,
        )

    def test_score_runs_are_company_restricted(self):
        run = self._score()
        outsider = new_test_user(
            self.env,
            login="scoring_outsider",
            groups="crm_relationship.crm_relationship_group_manager",
            company_id=self.main_company.id,
            company_ids=[(6, 0, self.main_company.ids)],
        )
        self.assertFalse(self.Run.with_user(outsider).search([("id", "=", run.id)]))
        self.assertFalse(
            self.env["crm.relationship.score.snapshot"]
            .with_user(outsider)
            .search([("run_id", "=", run.id)])
        )

    def test_views_load_for_users(self):
        Partner = self.env["res.partner"]
        form = Partner.with_user(self.user).get_views([(False, "form")])
        self.assertIn('name="clv_value"', form["views"]["form"]["arch"])
        plain = Partner.with_user(self.employee).get_views([(False, "form")])
        self.assertNotIn('name="clv_value"', plain["views"]["form"]["arch"])
        for xmlid in (
            "res_partner_action_rfm_matrix",
            "res_partner_action_segments",
            "res_partner_action_at_risk",
            "crm_relationship_score_run_action",
            "crm_relationship_score_snapshot_action_trend",
            "crm_relationship_score_snapshot_action_transitions",
        ):
            action = self.env.ref(f"crm_relationship_scoring.{xmlid}")
            model = self.env[action.res_model].with_user(self.manager)
            views = [(v.view_id.id, v.view_mode) for v in action.view_ids] or [
                (False, mode) for mode in action.view_mode.split(",")
            ]
            views.append((action.search_view_id.id, "search"))
            with self.subTest(action=xmlid):
                result = model.get_views(views)
                self.assertEqual(set(result["views"]), {mode for _id, mode in views})
        Score = self.env["crm.relationship.score"].with_user(self.user)
        pivot = Score.read_group(
            [("partner_id", "=", self.customer.id)],
            ["rfm_monetary:sum"],
            ["rfm_r_score", "rfm_f_score"],
            lazy=False,
        )
        self.assertEqual(pivot, [])  # not scored yet (demo customers are)
        self._score()
        pivot = Score.read_group(
            [("partner_id", "=", self.customer.id)],
            ["rfm_monetary:sum"],
            ["rfm_r_score", "rfm_f_score"],
            lazy=False,
        )
        self.assertEqual(len(pivot), 1)
        self.assertAlmostEqual(pivot[0]["rfm_monetary"], 500.0)
        settings = self.env["res.config.settings"].get_views([(False, "form")])
        self.assertIn(
            "action_relationship_recompute_scores", settings["views"]["form"]["arch"]
        )

    def test_menus(self):
        menus = self.env["ir.ui.menu"].with_user(self.user)._visible_menu_ids()
        models_menu = self.env.ref(
            "crm_relationship_scoring.crm_relationship_score_run_menu"
        )
        at_risk = self.env.ref("crm_relationship_scoring.res_partner_menu_at_risk")
        self.assertIn(at_risk.id, menus)
        self.assertNotIn(models_menu.id, menus)
        manager_menus = (
            self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids()
        )
        self.assertIn(models_menu.id, manager_menus)
        self.assertEqual(
            at_risk.parent_id,
            self.env.ref("crm_relationship.crm_relationship_menu_reporting"),
        )
        self.assertTrue(
            self.env.ref("crm_relationship_scoring.ir_cron_relationship_scores").active
        )
