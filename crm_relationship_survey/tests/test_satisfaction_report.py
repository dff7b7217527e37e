"""Satisfaction by month (crm.relationship.satisfaction.report): NPS and CSAT %
per month, per tier and for the whole period computed as ratios of sums,
through every entry point of the web client and the spreadsheet; what it
leaves out; who reads it."""

from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import SatisfactionCase

REPORT = "crm.relationship.satisfaction.report"


class SatisfactionReportCase(SatisfactionCase):
    """Hand-made answers in January and February 2024, of a Gold customer
    (``customer``) and a Silver one (``other_customer``)::

                    NPS answers            NPS    CSAT answers   CSAT %
        Jan  Gold   10, 9, 8, 3 (2/1/1)     25    5, 4, 3        66.7
             Silver 0 (0/0/1)             -100    5             100
        Feb  Gold   10, 10 (2/0/0)         100    1               0
             Silver 7, 6 (0/1/1)           -50    -               -

        Jan   2/1/2 of 5 -> 0     CSAT 3 of 4 -> 75
        Feb   2/1/1 of 4 -> 25    CSAT 0 of 1 -> 0
        Gold  4/1/1 of 6 -> 50    CSAT 2 of 4 -> 50
        Silver 0/1/2 of 3 -> -66.7 CSAT 1 of 1 -> 100
        All   4/2/3 of 9 -> 11.1  CSAT 3 of 5 -> 60

    (promoters/passives/detractors). The averages of the ratios would differ
    everywhere (all months: 12.5, all tiers: -8.3). Left out: a test entry,
    an answer not completed, an answer to a survey that is no satisfaction
    survey.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tier = cls.env["crm.relationship.tier"]
        cls.gold = Tier.create({"name": "Report Gold", "rule": "manual"})
        cls.silver = Tier.create({"name": "Report Silver", "rule": "manual"})
        cls.customer.value_tier_id = cls.gold
        cls.other_customer.value_tier_id = cls.silver
        jan, feb = datetime(2024, 1, 15, 10), datetime(2024, 2, 10, 16)
        for partner, end, answers in (
            (
                cls.contact,
                jan,
                [
                    {cls.q_nps: 10, cls.q_csat: 5},
                    {cls.q_nps: 9, cls.q_csat: 4},
                    {cls.q_nps: 8, cls.q_csat: 3},
                    {cls.q_nps: 3},
                ],
            ),
            (cls.other_customer, jan, [{cls.q_nps: 0, cls.q_csat: 5}]),
            (cls.contact, feb, [{cls.q_nps: 10, cls.q_csat: 1}, {cls.q_nps: 10}]),
            (cls.other_customer, feb, [{cls.q_nps: 7}, {cls.q_nps: 6}]),
        ):
            for values in answers:
                cls.answer(values, partner=partner, end=end)
        # never counted
        cls.answer({cls.q_nps: 0, cls.q_csat: 1}, end=jan, test_entry=True)
        cls.answer({cls.q_nps: 0, cls.q_csat: 1}, done=False)
        plain = cls.env["survey.survey"].create(
            {"title": "Not a satisfaction survey", "access_mode": "token"}
        )
        plain._create_answer(partner=cls.contact, check_attempts=False)._mark_done()
        cls.scope = [("value_tier_id", "in", (cls.gold | cls.silver).ids)]
        cls.salesman = new_test_user(
            cls.env,
            login="rel_report_salesman",
            groups="sales_team.group_sale_salesman",
        )
        cls.env.flush_all()


class TestSatisfactionReport(SatisfactionReportCase):
    def pivot(self, groupby, measures=("nps", "csat_percent"), user=None):
        """read_group as the pivot and the spreadsheet call it."""
        Report = self.env[REPORT].with_user(user or self.salesman)
        return Report.read_group(
            self.scope,
            [*measures, "answer_count", "nps_count", "csat_count"],
            groupby,
            lazy=False,
        )

    def figures(self, groups, key):
        return {
            key(g): (
                g["answer_count"],
                round(g["nps"], 1),
                g["csat_count"],
                g["csat_percent"] is not False and round(g["csat_percent"], 1),
            )
            for g in groups
        }

    def test_by_month(self):
        groups = self.pivot(["date:month"])
        self.assertEqual(
            self.figures(groups, lambda g: g["__range"]["date:month"]["from"]),
            {
                "2024-01-01": (5, 0.0, 4, 75.0),
                "2024-02-01": (4, 25.0, 1, 0.0),
            },
        )

    def test_by_tier(self):
        groups = self.pivot(["value_tier_id"])
        self.assertEqual(
            self.figures(groups, lambda g: g["value_tier_id"][0]),
            {
                self.gold.id: (6, 50.0, 4, 50.0),
                self.silver.id: (3, -66.7, 1, 100.0),
            },
        )

    def test_by_month_and_tier(self):
        groups = self.pivot(["date:month", "value_tier_id"])
        by_cell = self.figures(
            groups,
            lambda g: (g["__range"]["date:month"]["from"], g["value_tier_id"][0]),
        )
        self.assertEqual(by_cell[("2024-01-01", self.gold.id)], (4, 25.0, 3, 66.7))
        self.assertEqual(by_cell[("2024-02-01", self.silver.id)], (2, -50.0, 0, False))

    def test_whole_period_every_entry_point(self):
        """read_group (pivot, spreadsheet), web_read_group (graph), _read_group
        (server code): the same figures, whatever aggregate is asked."""
        expected = {"nps": 100 / 9, "csat_percent": 60.0, "nps_count": 9}
        Report = self.env[REPORT].with_user(self.salesman)
        for measures in (
            ["nps", "csat_percent", "nps_count"],
            ["nps:avg", "csat_percent:avg", "nps_count:sum"],
            ["nps:sum", "csat_percent:max", "nps_count:avg"],
            [
                "nps_avg_id:avg(nps)",
                "csat_percent_avg_id:avg(csat_percent)",
                "nps_count_sum_id:sum(nps_count)",
            ],
        ):
            with self.subTest(measures=measures):
                (total,) = Report.read_group(self.scope, measures, [])
                values = [total[m.split(":")[0]] for m in measures]
                for value, want in zip(values, expected.values(), strict=True):
                    self.assertAlmostEqual(value, want)
        (total,) = Report.web_read_group(self.scope, ["nps:avg"], ["company_id"])[
            "groups"
        ]
        self.assertAlmostEqual(total["nps"], 100 / 9)
        [(nps, csat, promoters, detractors, answers)] = Report._read_group(
            self.scope,
            aggregates=[
                "nps:avg",
                "csat_percent:avg",
                "promoter_count:sum",
                "detractor_count:sum",
                "answer_count:sum",
            ],
        )
        self.assertAlmostEqual(nps, 100 / 9)
        self.assertAlmostEqual(csat, 60.0)
        self.assertEqual((promoters, detractors, answers), (4, 3, 9))

    def test_graph_by_month(self):
        """The graph's call (web_read_group, one measure per month)."""
        result = (
            self.env[REPORT]
            .with_user(self.salesman)
            .web_read_group(self.scope, ["nps:avg"], ["date:month"], lazy=False)
        )
        self.assertEqual(
            [round(g["nps"], 1) for g in result["groups"]],
            [0.0, 25.0],
        )

    def test_excluded_answers(self):
        """Test entries, unfinished answers and answers to other surveys are
        not counted (9 answers, not 12)."""
        [(answers,)] = self.env[REPORT]._read_group(
            self.scope, aggregates=["answer_count:sum"]
        )
        self.assertEqual(answers, 9)
        UserInput = self.env["survey.user_input"]
        self.assertEqual(
            UserInput.search_count(
                [
                    ("relationship_partner_id", "=", self.customer.id),
                    ("value_tier_id", "=", self.gold.id),
                ]
            ),
            # 6 counted; the test entry, the unfinished answer and the answer
            # to the other survey are not
            9,
        )

    def test_no_individual_answer(self):
        """No customer, no answer, no text: numbers and the dimensions of a
        group."""
        fields = self.env[REPORT]._fields
        relations = {f.comodel_name for f in fields.values() if f.relational}
        self.assertEqual(
            relations, {"res.company", "crm.relationship.tier", "res.users"}
        )
        self.assertFalse(
            [
                f.name
                for f in fields.values()
                if f.store and f.type in ("char", "text", "html")
            ]
        )


class TestSatisfactionReportAccess(SatisfactionReportCase):
    """Relationship users and administrators read the report (not the
    answers); portal users and plain employees never; another company's rows
    are invisible."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Report Company B"})
        cls.bronze = cls.env["crm.relationship.tier"].create(
            {"name": "Report Bronze", "rule": "manual"}
        )
        customer_b = cls.env["res.partner"].create(
            {
                "name": "Shop of B",
                "is_company": True,
                "company_id": cls.company_b.id,
                "value_tier_id": cls.bronze.id,
            }
        )
        cls.answer({cls.q_nps: 10, cls.q_csat: 5}, partner=customer_b)
        cls.manager = new_test_user(
            cls.env,
            login="rel_report_manager",
            groups="crm_relationship.crm_relationship_group_manager",
        )
        cls.portal = new_test_user(
            cls.env, login="rel_report_portal", groups="base.group_portal"
        )
        cls.employee = new_test_user(
            cls.env, login="rel_report_employee", groups="base.group_user"
        )
        cls.salesman_b = new_test_user(
            cls.env,
            login="rel_report_salesman_b",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.scope_all = [
            ("value_tier_id", "in", (cls.gold | cls.silver | cls.bronze).ids)
        ]
        cls.env.flush_all()

    def answers_seen(self, user):
        [(answers,)] = (
            self.env[REPORT]
            .with_user(user)
            ._read_group(self.scope_all, aggregates=["answer_count:sum"])
        )
        return answers

    def test_relationship_users_read_the_report_not_the_answers(self):
        for user in (self.salesman, self.manager):
            with self.subTest(user=user.login):
                self.assertEqual(self.answers_seen(user), 9)
                rows = self.env[REPORT].with_user(user).search(self.scope_all)
                self.assertTrue(rows)
                rows.read(["date", "nps", "csat_percent", "answer_count"])
                with self.assertRaises(AccessError):
                    self.env["survey.user_input"].with_user(user).search(
                        [("relationship_partner_id", "=", self.customer.id)]
                    )

    def test_report_is_read_only(self):
        row = self.env[REPORT].with_user(self.manager).search(self.scope, limit=1)
        with self.assertRaises(AccessError):
            row.write({"answer_count": 100})
        with self.assertRaises(AccessError):
            row.unlink()
        with self.assertRaises(AccessError):
            self.env[REPORT].with_user(self.manager).create({"answer_count": 1})

    def test_portal_and_employee_refused(self):
        row = self.env[REPORT].search(self.scope, limit=1)
        for user in (self.env.ref("base.public_user"), self.portal, self.employee):
            with self.subTest(user=user.login):
                Report = self.env[REPORT].with_user(user)
                with self.assertRaises(AccessError):
                    Report.search([])
                with self.assertRaises(AccessError):
                    Report.read_group([], ["nps"], ["date:month"])
                with self.assertRaises(AccessError):
                    row.with_user(user).read(["nps"])

    def test_other_company_rows_invisible(self):
        # company A (the main company) does not see company B's answer...
        self.assertEqual(self.answers_seen(self.salesman), 9)
        # ...and company B sees only it
        self.assertEqual(self.answers_seen(self.salesman_b), 1)
        rows_b = self.env[REPORT].with_user(self.salesman_b).search(self.scope_all)
        self.assertEqual(rows_b.company_id, self.company_b)
        rows_a = self.env[REPORT].search(self.scope)
        with self.assertRaises(AccessError):
            rows_a.with_user(self.salesman_b).read(["nps"])
