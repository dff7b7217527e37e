from collections import defaultdict

from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_relationship.demo.shop import DemoShop

from ..models.survey_user_input import NPS_CATEGORIES


@tagged("post_install", "-at_install")
class TestDemoSurveys(TransactionCase):
    """Demo invitations and answers: every NPS category and an NPS trend."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.answers = DemoShop(cls.env)._demo_records(
            "answer", "survey.user_input", module="crm_relationship_survey"
        )

    def test_demo_covers_every_nps_category(self):
        done = self.answers.filtered(lambda a: a.state == "done")
        self.assertGreaterEqual(len(done), 200)
        self.assertEqual(
            set(done.mapped("nps_category")) - {False},
            {code for code, _label in NPS_CATEGORIES},
        )
        kinds = set(done.mapped("relationship_kind"))
        self.assertEqual(kinds, {"csat", "acsi", "kano"})
        self.assertTrue(done.kano_result_ids)
        self.assertTrue(done.filtered("complaint_id"))
        self.assertTrue(done.filtered("sale_order_id"))
        # pending invitations for /my/surveys, expired ones too
        pending = self.answers - done
        now = self.env.cr.now()
        self.assertTrue(pending.filtered(lambda a: a.deadline > now))
        self.assertTrue(pending.filtered(lambda a: a.deadline < now))
        customers = done.relationship_partner_id
        self.assertTrue(customers.filtered("last_nps_category"))
        portal = self.env.ref("crm_relationship.demo_portal_user_0001")
        waiting = pending.filtered(lambda a: a.partner_id == portal.partner_id)
        self.assertTrue(waiting.filtered(lambda a: a.deadline > now))

    def test_demo_nps_trend_over_months(self):
        by_month = defaultdict(list)
        for answer in self.answers.filtered("nps_category"):
            by_month[answer.end_datetime.strftime("%Y-%m")].append(answer.nps_points)
        self.assertGreaterEqual(len(by_month), 18)
        months = sorted(by_month)

        def nps(keys):
            points = [p for key in keys for p in by_month[key]]
            return sum(points) / len(points)

        self.assertGreater(nps(months[-6:]), nps(months[:6]) + 10)
