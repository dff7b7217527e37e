from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import SatisfactionCase


@tagged("post_install", "-at_install")
class TestSatisfactionReports(SatisfactionCase):
    """The reports read like the pivot and graph views do (read_group on the
    domain of the menu's action), against hand-computed figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_owner = new_test_user(
            cls.env,
            login="rel_survey_owner_2",
            groups="sales_team.group_sale_salesman",
            name="Second Owner",
        )
        cls.other_customer.relationship_owner_id = cls.other_owner
        cls.ours = (cls.customer | cls.other_customer).ids

    def report(self, xmlid, measures, groupby, extra_domain=None):
        action = self.env.ref(xmlid)
        view_types = {view_type for __, view_type in action.views if view_type} | set(
            action.view_mode.split(",")
        )
        self.assertIn("pivot", view_types)
        domain = safe_eval(action.domain or "[]") + [
            ("relationship_partner_id", "in", self.ours)
        ]
        self.env.flush_all()
        return self.env[action.res_model].read_group(
            domain + (extra_domain or []), measures, groupby, lazy=False
        )

    def nps_answers(self, scores, partner, days_ago):
        for score in scores:
            self.answer(
                {self.q_nps: score}, partner=partner, end=self.days_ago(days_ago)
            )

    def test_nps_by_month(self):
        # this month: 10, 9, 5 -> (2 promoters - 1 detractor) / 3 = 33.33
        self.nps_answers([10, 9, 5], self.contact, 0)
        # about three months ago: 7, 0 -> (0 - 1) / 2 = -50
        self.nps_answers([7, 0], self.contact, 95)
        # answers without NPS are not in the NPS report
        self.answer({self.q_csat: 5}, end=self.days_ago(0))
        groups = self.report(
            "crm_relationship_survey.survey_user_input_action_nps",
            ["nps_points:avg"],
            ["end_datetime:month"],
        )
        figures = sorted(
            ((g["__count"], round(g["nps_points"], 2)) for g in groups), reverse=True
        )
        self.assertEqual(figures, [(3, 33.33), (2, -50.0)])

    def test_nps_by_salesperson(self):
        self.nps_answers([10, 10, 8, 3], self.contact, 0)  # (2 - 1) / 4 = 25
        self.nps_answers([6, 9], self.other_customer, 0)  # (1 - 1) / 2 = 0
        groups = self.report(
            "crm_relationship_survey.survey_user_input_action_nps",
            ["nps_points:avg"],
            ["relationship_owner_id"],
        )
        by_owner = {g["relationship_owner_id"][0]: g["nps_points"] for g in groups}
        self.assertEqual(by_owner, {self.owner.id: 25.0, self.other_owner.id: 0.0})

    def test_nps_by_tier_and_stage(self):
        Tier = self.env["crm.relationship.tier"]
        gold, silver = (
            Tier.create({"name": "Survey Gold", "rule": "manual"}),
            Tier.create({"name": "Survey Silver", "rule": "manual"}),
        )
        Stage = self.env["crm.relationship.stage"]
        stable, forming = (
            Stage._stage_for_phase("stability"),
            Stage._stage_for_phase("formation"),
        )
        self.customer.write(
            {"value_tier_id": gold.id, "relationship_stage_id": stable.id}
        )
        self.other_customer.write(
            {"value_tier_id": silver.id, "relationship_stage_id": forming.id}
        )
        self.nps_answers([9, 2, 1], self.contact, 0)  # (1 - 2) / 3 = -33.33
        self.nps_answers([9, 10, 7, 8], self.other_customer, 0)  # 2 / 4 = 50
        # the answers keep the tier and stage the customer had when answering
        self.customer.value_tier_id = silver
        for groupby, expected in (
            ("value_tier_id", {gold.id: -33.33, silver.id: 50.0}),
            ("relationship_stage_id", {stable.id: -33.33, forming.id: 50.0}),
        ):
            with self.subTest(groupby=groupby):
                groups = self.report(
                    "crm_relationship_survey.survey_user_input_action_nps",
                    ["nps_points:avg"],
                    [groupby],
                )
                self.assertEqual(
                    {g[groupby][0]: round(g["nps_points"], 2) for g in groups}, expected
                )

    def test_csat_percent_and_mean(self):
        for csat in (5, 4, 3, 1):
            self.answer({self.q_csat: csat}, end=self.days_ago(0))
        self.answer({self.q_nps: 10}, end=self.days_ago(0))  # no CSAT: left out
        (group,) = self.report(
            "crm_relationship_survey.survey_user_input_action_csat",
            ["csat_satisfied:avg", "csat_score:avg"],
            ["end_datetime:month"],
        )
        self.assertEqual(group["__count"], 4)
        self.assertEqual(group["csat_satisfied"], 50.0)  # 2 of 4 answered 4 or 5
        self.assertEqual(group["csat_score"], 3.25)  # 13 / 4

    def test_ces_mean(self):
        for ces in (2, 5, 7):
            self.answer({self.q_ces: ces}, end=self.days_ago(0))
        self.answer({self.q_csat: 4}, end=self.days_ago(0))  # no CES: left out
        (group,) = self.report(
            "crm_relationship_survey.survey_user_input_action_ces",
            ["ces_score:avg"],
            ["end_datetime:month"],
        )
        self.assertEqual(group["__count"], 3)
        self.assertAlmostEqual(group["ces_score"], 14 / 3)

    def test_kano_table(self):
        # feature X: O, O, M, A -> the pivot counts per feature and category
        for functional, dysfunctional in ((1, 5), (1, 5), (3, 5), (1, 3)):
            self.answer({self.q_kano_f: functional, self.q_kano_d: dysfunctional})
        action = self.env.ref(
            "crm_relationship_survey.crm_relationship_kano_result_action"
        )
        self.assertEqual(action.view_mode.split(",")[:2], ["pivot", "graph"])
        groups = self.env["crm.relationship.kano.result"].read_group(
            [("partner_id", "in", self.ours)],
            [],
            ["feature", "category"],
            lazy=False,
        )
        table = {(g["feature"], g["category"]): g["__count"] for g in groups}
        self.assertEqual(
            table, {("Feature X", "O"): 2, ("Feature X", "M"): 1, ("Feature X", "A"): 1}
        )

    def test_generic_pivot_does_not_average_missing_indices(self):
        """Float indices are stored as 0 when not answered: the generic report
        of all answers must not show them as averages."""
        pivot = self.env.ref(
            "crm_relationship_survey.survey_user_input_view_pivot_satisfaction"
        )
        self.assertNotIn('type="measure"', pivot.arch_db)
        action = self.env.ref(
            "crm_relationship_survey.survey_user_input_action_satisfaction"
        )
        self.assertNotIn("graph", action.view_mode)
        for xmlid, measure in (
            ("survey_user_input_action_nps", "nps_points"),
            ("survey_user_input_action_csat", "csat_satisfied"),
            ("survey_user_input_action_ces", "ces_score"),
        ):
            with self.subTest(report=xmlid):
                action = self.env.ref(f"crm_relationship_survey.{xmlid}")
                graph = action.view_ids.filtered(lambda v: v.view_mode == "graph")
                self.assertIn(f'name="{measure}" type="measure"', graph.view_id.arch_db)
