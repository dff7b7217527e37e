import json
import re

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import file_open

from odoo.addons.crm_relationship_survey.tests.common import SatisfactionCase
from odoo.addons.spreadsheet.utils.validate_data import (
    fields_in_spreadsheet,
    menus_xml_ids_in_spreadsheet,
    odoo_charts,
)

DASHBOARD = "crm_relationship_dashboard.spreadsheet_dashboard_relationships"
GROUP = "crm_relationship_dashboard.spreadsheet_dashboard_group_relationships"
JSON_FILE = "crm_relationship_dashboard/data/files/relationships_dashboard.json"
#: the satisfaction figures: counts of the answers, readable by relationship
#: users (the answers themselves, survey.user_input, are the survey officers')
SATISFACTION = "crm.relationship.satisfaction.report"
MENU_LINK = re.compile(r"^\[.+\]\(odoo://ir_menu_xml_id/(.+)\)$")


class DashboardCase(TransactionCase):
    """Users of the tests:

    - ``relationship_user``: Relationships user and Surveys officer;
    - ``salesperson``: Relationships user through Sales (own documents), no
      Surveys rights;
    - ``employee``: internal user without the relationship group.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref(DASHBOARD)
        cls.data = json.loads(cls.dashboard.spreadsheet_data)
        cls.relationship_user = new_test_user(
            cls.env,
            login="dashboard_relationship_user",
            groups="base.group_user,crm_relationship.crm_relationship_group_user,"
            "survey.group_survey_user",
        )
        cls.salesperson = new_test_user(
            cls.env,
            login="dashboard_salesperson",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        cls.employee = new_test_user(
            cls.env, login="dashboard_employee", groups="base.group_user"
        )

    def sources(self):
        """Every data source of the dashboard as (kind, name, model, domain,
        fields read, group-bys, order)."""
        for pivot in self.data["pivots"].values():
            measures = [
                m["fieldName"] for m in pivot["measures"] if m["fieldName"] != "__count"
            ]
            groupbys = [
                d["fieldName"] + (f":{d['granularity']}" if "granularity" in d else "")
                for d in pivot["rows"] + pivot["columns"]
            ]
            yield (
                "pivot",
                pivot["name"],
                pivot["model"],
                pivot["domain"],
                (
                    measures,
                    groupbys,
                    None,
                ),
            )
        for chart in odoo_charts(self.data):
            meta = chart["metaData"]
            measures = [] if meta["measure"] == "__count" else [meta["measure"]]
            yield (
                "chart",
                chart["id"],
                meta["resModel"],
                chart["searchParams"]["domain"],
                (measures, meta["groupBy"], None),
            )
        for list_ in self.data["lists"].values():
            order = ", ".join(
                f"{o['name']} {'asc' if o['asc'] else 'desc'}" for o in list_["orderBy"]
            )
            yield (
                "list",
                list_["name"],
                list_["model"],
                list_["domain"],
                (
                    list_["columns"],
                    None,
                    order,
                ),
            )

    def run_source(self, user, model, domain, spec):
        """Read a data source as ``user``, the way the spreadsheet does:
        ``read_group`` for pivots and charts, ``search_read`` for lists."""
        fields, groupbys, order = spec
        records = self.env[model].with_user(user)
        if groupbys is None:
            return records.search_read(domain, fields, order=order, limit=10)
        return records.read_group(domain, fields, groupbys, lazy=False)


class TestDashboardData(DashboardCase):
    def test_format_is_the_one_of_odoo_18_dashboards(self):
        """Same o-spreadsheet format as spreadsheet_dashboard_sale's (the May
        2025 build ships the same): newer builds migrate it on load."""
        with file_open(
            "spreadsheet_dashboard_sale/data/files/sales_dashboard.json"
        ) as f:
            sales = json.load(f)
        self.assertEqual(self.data["version"], sales["version"])
        self.assertEqual(self.data["odooVersion"], sales["odooVersion"])
        with file_open(JSON_FILE) as f:
            self.assertEqual(json.load(f), self.data)

    def test_models_and_fields_exist_and_are_readable(self):
        """Odoo's own extraction (spreadsheet/utils/validate_data.py) of every
        model and field chain used by pivots, lists, charts and filters: each
        exists and a relationship user may read it."""
        used = fields_in_spreadsheet(self.data)
        self.assertEqual(
            set(used),
            {
                "res.partner",
                "crm.relationship.transition",
                "crm.relationship.score",
                SATISFACTION,
                "crm.relationship.complaint",
            },
        )
        for model, chains in used.items():
            self.assertIn(model, self.env)
            self.env[model].with_user(self.relationship_user).check_access("read")
            for chain in chains:
                current = model
                for fname in chain.split("."):
                    fields = (
                        self.env[current]
                        .with_user(self.relationship_user)
                        .fields_get(attributes=["type", "relation"])
                    )
                    self.assertIn(fname, fields, f"{model}: {chain}")
                    current = fields[fname].get("relation") or current

    def test_menus_exist_and_open_an_action(self):
        """Menus of the chart clicks and of the section titles' links."""
        menus = set(menus_xml_ids_in_spreadsheet(self.data))
        for sheet in self.data["sheets"]:
            for cell in sheet["cells"].values():
                match = MENU_LINK.match(cell.get("content", ""))
                if match:
                    menus.add(match[1])
        self.assertGreaterEqual(len(menus), 8)
        for xml_id in menus:
            menu = self.env.ref(xml_id)
            self.assertEqual(menu._name, "ir.ui.menu")
            self.assertTrue(menu.action, xml_id)

    def test_every_source_runs_for_a_relationship_user(self):
        """Each pivot, chart and list reads its model without error (measures
        aggregated, group-bys groupable, list order sortable), with data or
        without (a database installed without demo data)."""
        names = []
        for _kind, name, model, domain, spec in self.sources():
            self.run_source(self.relationship_user, model, domain, spec)
            names.append(name)
        self.assertEqual(len(names), 9 + 4 + 1)

    def test_salesperson_reads_every_figure_not_the_answers(self):
        """A salesperson (a relationship user without Surveys rights) gets
        every figure, the satisfaction ones included: they read the counts of
        the satisfaction report, never the answers (survey.user_input), which
        stay the survey officers'."""
        models = set()
        for _kind, _name, model, domain, spec in self.sources():
            self.run_source(self.salesperson, model, domain, spec)
            models.add(model)
        self.assertIn(SATISFACTION, models)
        self.assertNotIn("survey.user_input", models)
        UserInput = self.env["survey.user_input"].with_user(self.salesperson)
        with self.assertRaises(AccessError):
            UserInput.search([])
        with self.assertRaises(AccessError):
            UserInput.read_group([], ["nps_points:avg"], ["end_datetime:month"])

    def test_texts_are_translatable_terms(self):
        """Cell texts are =_t("...") formulas (Odoo's export reads them, see
        odoo/tools/translate.py extract_spreadsheet_terms): no bare text."""
        for sheet in self.data["sheets"]:
            for ref, cell in sheet["cells"].items():
                content = cell.get("content", "")
                self.assertTrue(
                    content.startswith("=") or MENU_LINK.match(content),
                    f"{sheet['name']}!{ref}: {content}",
                )


class TestDashboardSatisfactionFigures(DashboardCase, SatisfactionCase):
    """The NPS and CSAT % figures as a salesperson reads them, on known
    answers of a tier of their own: the scorecards' pivots with the Value Tier
    and Period (last 30 days) filters applied as the spreadsheet applies them
    (the pivot's field matching), and the NPS-by-month chart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tier = cls.env["crm.relationship.tier"].create(
            {"name": "Dashboard Satisfaction Tier", "rule": "manual"}
        )
        cls.customer.value_tier_id = cls.tier
        # in the period: NPS 10, 10, 9, 7, 2 -> (3 - 1) / 5 = 40;
        # CSAT 5, 4, 2 -> 2 / 3 = 66.7 %
        for values in (
            {cls.q_nps: 10, cls.q_csat: 5},
            {cls.q_nps: 10, cls.q_csat: 4},
            {cls.q_nps: 9, cls.q_csat: 2},
            {cls.q_nps: 7},
            {cls.q_nps: 2},
        ):
            cls.answer(values, end=cls.days_ago(0))
        # before the period: left out of the scorecards, in the chart
        cls.answer({cls.q_nps: 0, cls.q_csat: 1}, end=cls.days_ago(45))
        # never counted: a test entry and an answer not completed
        cls.answer({cls.q_nps: 0, cls.q_csat: 1}, test_entry=True)
        cls.answer({cls.q_nps: 0, cls.q_csat: 1}, done=False)
        cls.env.flush_all()

    def filtered_domain(self, domain, matching, period=True):
        """``domain`` with the Value Tier filter on our tier and the Period
        filter on the last 30 days (today included), through the source's
        field ``matching``."""
        filters = {f["label"]: f["id"] for f in self.data["globalFilters"]}
        tier = matching[filters["Value Tier"]]
        domain = list(domain) + [[tier["chain"], "in", [self.tier.id]]]
        if period:
            date = matching[filters["Period"]]
            self.assertEqual(date["type"], "date")
            today = fields.Datetime.now().date()
            start = fields.Date.subtract(today, days=29)
            domain += [
                [date["chain"], ">=", fields.Date.to_string(start)],
                [date["chain"], "<=", fields.Date.to_string(today)],
            ]
        return domain

    def scorecard(self, pivot_name):
        """The pivot's total as the spreadsheet reads it: ``read_group`` with
        the measures as ``<id>:<aggregator>(<field>)``."""
        (pivot,) = (p for p in self.data["pivots"].values() if p["name"] == pivot_name)
        self.assertEqual(pivot["model"], SATISFACTION)
        Report = self.env[pivot["model"]].with_user(self.salesperson)
        described = Report.fields_get(attributes=["aggregator"])
        measures = [
            m["fieldName"] for m in pivot["measures"] if m["fieldName"] != "__count"
        ]
        specs = [f"{m}:{described[m]['aggregator']}({m})" for m in measures]
        (total,) = Report.read_group(
            self.filtered_domain(pivot["domain"], pivot["fieldMatching"]), specs, []
        )
        return total

    def test_salesperson_reads_nps_and_csat(self):
        nps = self.scorecard("NPS Answers")
        self.assertEqual(nps["nps_count"], 5)
        self.assertAlmostEqual(nps["nps"], 40.0)
        csat = self.scorecard("CSAT Answers")
        self.assertEqual(csat["csat_count"], 3)
        self.assertAlmostEqual(csat["csat_percent"], 200 / 3)
        # the answers stay the survey officers'
        with self.assertRaises(AccessError):
            self.env["survey.user_input"].with_user(self.salesperson).search(
                [("relationship_partner_id", "=", self.customer.id)]
            )

    def test_salesperson_reads_nps_by_month(self):
        (chart,) = (
            c for c in odoo_charts(self.data) if c["metaData"]["measure"] == "nps"
        )
        meta = chart["metaData"]
        self.assertEqual(meta["resModel"], SATISFACTION)
        groups = (
            self.env[meta["resModel"]]
            .with_user(self.salesperson)
            .web_read_group(
                self.filtered_domain(
                    chart["searchParams"]["domain"],
                    chart["fieldMatching"],
                    period=False,
                ),
                [f"{meta['measure']}:avg"],
                meta["groupBy"],
                lazy=False,
            )["groups"]
        )
        by_month = sorted(
            (g["__range"][meta["groupBy"][0]]["from"], g["nps"]) for g in groups
        )
        # 45 days ago: one detractor (-100); this month: 40
        self.assertEqual([round(nps, 2) for __, nps in by_month], [-100.0, 40.0])


class TestDashboardAccess(DashboardCase):
    def listed_groups(self, user):
        """{group id: [dashboard ids]} as the Dashboards app lists them."""
        groups = (
            self.env["spreadsheet.dashboard.group"]
            .with_user(user)
            .web_search_read(
                [("published_dashboard_ids", "!=", False)],
                {"name": {}, "published_dashboard_ids": {"fields": {"name": {}}}},
            )["records"]
        )
        return {
            group["id"]: [d["id"] for d in group["published_dashboard_ids"]]
            for group in groups
            if group["published_dashboard_ids"]
        }

    def test_relationship_user_sees_the_dashboard(self):
        Dashboard = self.env["spreadsheet.dashboard"].with_user(self.relationship_user)
        self.assertIn(self.dashboard, Dashboard.search([]))
        listed = self.listed_groups(self.relationship_user)
        self.assertEqual(listed[self.env.ref(GROUP).id], [self.dashboard.id])
        loaded = self.dashboard.with_user(
            self.relationship_user
        ).get_readonly_dashboard()
        self.assertNotIn("is_sample", loaded)
        self.assertEqual(loaded["snapshot"]["pivots"], self.data["pivots"])

    def test_salesperson_sees_the_dashboard(self):
        Dashboard = self.env["spreadsheet.dashboard"].with_user(self.salesperson)
        self.assertIn(self.dashboard, Dashboard.search([]))

    def test_user_without_relationship_group_does_not_see_it(self):
        """The Dashboards app lists the groups whose published dashboards the
        user may read (spreadsheet_dashboard's dashboard_loader.js: same read,
        groups without dashboards left out): neither the dashboard nor its
        group are listed, the record cannot be read, and
        loading it fails without handing out the spreadsheet (Odoo's method
        reads the file through the attachment, hidden by the record rule)."""
        Dashboard = self.env["spreadsheet.dashboard"].with_user(self.employee)
        self.assertNotIn(self.dashboard, Dashboard.search([]))
        self.assertNotIn(self.env.ref(GROUP).id, self.listed_groups(self.employee))
        dashboard = self.dashboard.with_user(self.employee)
        with self.assertRaises(AccessError):
            dashboard.read(["name", "spreadsheet_binary_data"])
        with self.assertRaises(TypeError):  # no data: json.loads(False)
            dashboard.get_readonly_dashboard()


@tagged("post_install", "-at_install")
class TestDashboardHttp(DashboardCase, HttpCase):
    def call_dashboard(self, login):
        self.authenticate(login, login)
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw/spreadsheet.dashboard/get_readonly_dashboard",
            {
                "model": "spreadsheet.dashboard",
                "method": "get_readonly_dashboard",
                "args": [[self.dashboard.id]],
                "kwargs": {},
            },
        )

    def test_dashboard_data_over_rpc(self):
        loaded = self.call_dashboard(self.relationship_user.login)
        self.assertEqual(loaded["snapshot"]["lists"], self.data["lists"])
        self.assertEqual(loaded["revisions"], [])

    def test_dashboard_refused_over_rpc_without_the_group(self):
        with (
            self.assertRaises(Exception) as caught,
            self.assertLogs("odoo.http", "WARNING"),
        ):
            self.call_dashboard(self.employee.login)
        self.assertNotIn("pivots", str(caught.exception))

    def test_relationship_user_opens_the_dashboard(self):
        """In the browser: the Dashboards app, the Relationships dashboard, its
        scorecards and charts drawn by o-spreadsheet."""
        self.start_tour(
            "/odoo/dashboards",
            "crm_relationship_dashboard_tour",
            login=self.relationship_user.login,
        )
