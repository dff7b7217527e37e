"""Cohort retention (crm.relationship.cohort): counts, revenue and share per
cell of a hand-made history, through the entry points of the web client.

The history lives in a company of the test's own, so that demo data and the
other tests stay out of every figure. ``Y`` is the year before last: its
cohorts are complete. Cohort A is March of ``Y``, cohort B April, cohort C
the current month (too young to have a month 1)::

    customer  tier    owner  orders (month since the cohort: amount)
    c1        Gold    s1     A  m0: 100   m1: 40   m2: 60
    c2        Gold    s2     A  m0: 200             m2: 30
    c3        Silver  s1     A  m0: 100 + 50  (a draft in m1)
    c4        Silver  s2     A  m0: 80    m1: 20
    c5        Silver  s1     B  m0: 300   m1: 10
    c6        -       s2     B  m0: 90    (a cancelled order in m1)
    c7        -       s1     a draft and a cancelled order only: no cohort
    c8        -       s1     C  m0: 70

The pivot asks ``read_group`` (``orm.readGroup`` in
web/static/src/views/pivot/pivot_model.js, lazy=False, measures
``field:aggregator`` from ``fields_get``), the graph and grouped lists
``web_read_group``: both are used below, as on the 18.0 builds of May 2025
and later (same entry points, same ``_read_group_select``).
"""

from datetime import date, datetime

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user

MEASURES = ("customer_count", "cohort_size", "share", "revenue")


class TestCohortRetention(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Cohort = cls.env["crm.relationship.cohort"]
        cls.company = cls.env["res.company"].create({"name": "Cohort Tea House"})
        cls.env.user.company_ids |= cls.company
        cls.year = date.today().year - 2
        cls.month_a = date(cls.year, 3, 1)
        cls.month_b = date(cls.year, 4, 1)
        cls.month_c = date.today().replace(day=1)
        cls.s1 = new_test_user(
            cls.env,
            login="cohort_s1",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.s2 = new_test_user(
            cls.env,
            login="cohort_s2",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Oolong 100 g", "list_price": 10.0, "type": "consu"}
        )
        gold = cls.env.ref("crm_relationship.tier_gold")
        silver = cls.env.ref("crm_relationship.tier_silver")
        cls.gold, cls.silver = gold, silver
        plan = {
            "c1": (gold, cls.s1, [("A", 0, 100), ("A", 1, 40), ("A", 2, 60)]),
            "c2": (gold, cls.s2, [("A", 0, 200), ("A", 2, 30)]),
            "c3": (
                silver,
                cls.s1,
                [("A", 0, 100), ("A", 0, 50), ("A", 1, 999, "draft")],
            ),
            "c4": (silver, cls.s2, [("A", 0, 80), ("A", 1, 20)]),
            "c5": (silver, cls.s1, [("B", 0, 300), ("B", 1, 10)]),
            "c6": (False, cls.s2, [("B", 0, 90), ("B", 1, 999, "cancel")]),
            "c7": (False, cls.s1, [("A", 0, 999, "draft"), ("A", 1, 999, "cancel")]),
            "c8": (False, cls.s1, [("C", 0, 70)]),
        }
        starts = {"A": cls.month_a, "B": cls.month_b, "C": cls.month_c}
        cls.customers = {}
        for name, (__, owner, orders) in plan.items():
            customer = cls.env["res.partner"].create(
                {"name": f"Cohort {name}", "is_company": True, "user_id": owner.id}
            )
            for cohort, since, amount, *state in orders:
                cls._order(customer, starts[cohort], since, amount, *state)
            cls.customers[name] = customer
        # tiers and owners are set by administrators (the rules run on
        # confirmation: set them afterwards, locked)
        for name, (tier, owner, __) in plan.items():
            cls.customers[name].write(
                {
                    "value_tier_id": tier and tier.id,
                    "value_tier_locked": True,
                    "relationship_owner_id": owner.id,
                }
            )
        # c1 also buys from the main company, later: a cohort of that company
        cls._order(cls.customers["c1"], date(cls.year, 6, 1), 0, 500, company=None)
        cls.env.flush_all()

    @classmethod
    def _order(cls, customer, start, since, amount, state="sale", company=False):
        """An order of ``amount`` in the month ``since`` months after
        ``start``, confirmed, left a quotation or cancelled."""
        company = cls.company if company is False else cls.env.company
        month = start.month - 1 + since
        when = datetime(start.year + month // 12, month % 12 + 1, 15, 12, 0)
        if start == cls.month_c:
            when = datetime.now()
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [(6, 0, [])],
                            },
                        )
                    ],
                }
            )
        )
        if state in ("sale", "cancel"):
            order.action_confirm()
        if state == "cancel":
            order._action_cancel()
        order.date_order = when
        return order

    # ------------------------------------------------------------------
    # helpers: the calls of the web client
    # ------------------------------------------------------------------

    def _pivot(self, groupby, domain=(), model=None):
        """``read_group`` as the pivot calls it: ``{group key: measures}``."""
        model = model or self.Cohort
        described = model.fields_get(list(MEASURES), ["aggregator"])
        specs = [f"{name}:{described[name]['aggregator']}" for name in MEASURES]
        groups = model.read_group(
            [("company_id", "=", self.company.id), *domain],
            specs,
            groupby,
            lazy=False,
        )
        return {
            tuple(self._key(group[spec]) for spec in groupby): tuple(
                group[name] for name in MEASURES
            )
            for group in groups
        }

    def _graph(self, groupby, domain=()):
        """``web_read_group`` as the graph and grouped lists call it."""
        result = self.Cohort.web_read_group(
            [("company_id", "=", self.company.id), *domain],
            ["share:share", "customer_count:count_distinct"],
            groupby,
            lazy=False,
        )
        return {
            tuple(self._key(group[spec]) for spec in groupby): (
                group["customer_count"],
                group["share"],
            )
            for group in result["groups"]
        }

    @staticmethod
    def _key(value):
        # many2one groups come as (id, name); dates as their label
        return value[0] if isinstance(value, tuple) else value

    def _month(self, day):
        """The label read_group gives a month group (as the pivot shows it)."""
        groups = self.Cohort.read_group(
            [("company_id", "=", self.company.id), ("cohort_date", "=", day)],
            ["customer_count:count_distinct"],
            ["cohort_date:month"],
            lazy=False,
        )
        return groups[0]["cohort_date:month"]

    def assertCells(self, found, expected):
        """``expected``: ``{key: (customers, cohort customers, share,
        revenue)}`` with the share as a fraction; cells not listed are not
        checked."""
        for key, (customers, size, share, revenue) in expected.items():
            self.assertIn(key, found, f"no group {key}")
            got = found[key]
            self.assertEqual(got[0], customers, f"customers of {key}")
            self.assertEqual(got[1], size, f"cohort customers of {key}")
            self.assertAlmostEqual(got[2], share, 6, f"share of {key}")
            if revenue is not None:
                self.assertAlmostEqual(got[3], revenue, 2, f"revenue of {key}")

    # ------------------------------------------------------------------
    # the triangle
    # ------------------------------------------------------------------

    def test_cells_counts_revenue_and_share(self):
        a, b, c = (self._month(d) for d in (self.month_a, self.month_b, self.month_c))
        cells = self._pivot(["cohort_date:month", "months_since"])
        self.assertCells(
            cells,
            {
                (a, 0): (4, 4, 1.0, 530.0),
                (a, 1): (2, 4, 0.5, 60.0),
                (a, 2): (2, 4, 0.5, 90.0),
                (a, 3): (0, 4, 0.0, 0.0),
                (b, 0): (2, 2, 1.0, 390.0),
                (b, 1): (1, 2, 0.5, 10.0),
                (b, 2): (0, 2, 0.0, 0.0),
                (c, 0): (1, 1, 1.0, 70.0),
            },
        )
        # a triangle: each cohort has a cell for every month up to now, no more
        self.assertNotIn((c, 1), cells)
        months_a = max(since for cohort, since in cells if cohort == a)
        months_b = max(since for cohort, since in cells if cohort == b)
        self.assertEqual(months_a, months_b + 1)
        # three cohorts, seven customers: c7 (draft and cancelled only) is none
        totals = self._pivot([])
        self.assertCells(totals, {(): (7, 7, 1.0, 1150.0)})
        self.assertEqual(len({cohort for cohort, __ in cells}), 3)

    def test_drafts_and_cancelled_orders_are_left_out(self):
        rows = self.Cohort.search(
            [
                ("company_id", "=", self.company.id),
                ("partner_id", "in", (self.customers["c3"] | self.customers["c6"]).ids),
                ("months_since", "=", 1),
            ]
        )
        self.assertEqual(len(rows), 2)
        self.assertFalse(any(rows.mapped("is_active")))
        self.assertEqual(sum(rows.mapped("revenue")), 0.0)
        self.assertFalse(
            self.Cohort.search([("partner_id", "=", self.customers["c7"].id)])
        )

    def test_share_follows_a_tier_filter(self):
        a, b = self._month(self.month_a), self._month(self.month_b)
        gold = self._pivot(
            ["cohort_date:month", "months_since"],
            [("value_tier_id", "=", self.gold.id)],
        )
        self.assertCells(
            gold,
            {
                (a, 0): (2, 2, 1.0, 300.0),
                (a, 1): (1, 2, 0.5, 40.0),
                (a, 2): (2, 2, 1.0, 90.0),
            },
        )
        self.assertNotIn((b, 0), gold)
        silver = self._pivot(
            ["cohort_date:month", "months_since"],
            [("value_tier_id", "=", self.silver.id)],
        )
        self.assertCells(
            silver,
            {
                (a, 0): (2, 2, 1.0, 230.0),
                (a, 1): (1, 2, 0.5, 20.0),
                (a, 2): (0, 2, 0.0, 0.0),
                (b, 0): (1, 1, 1.0, 300.0),
                (b, 1): (1, 1, 1.0, 10.0),
            },
        )
        # grouped by tier instead of filtered: the same figures
        by_tier = self._pivot(["value_tier_id", "cohort_date:month", "months_since"])
        self.assertCells(
            by_tier,
            {
                (self.gold.id, a, 2): (2, 2, 1.0, 90.0),
                (self.silver.id, a, 1): (1, 2, 0.5, 20.0),
                (self.silver.id, b, 1): (1, 1, 1.0, 10.0),
                (False, b, 1): (0, 1, 0.0, 0.0),
            },
        )

    def test_share_follows_a_salesperson_filter(self):
        a, b, c = (self._month(d) for d in (self.month_a, self.month_b, self.month_c))
        s1 = self._pivot(
            ["cohort_date:month", "months_since"],
            [("relationship_owner_id", "=", self.s1.id)],
        )
        self.assertCells(
            s1,
            {
                (a, 0): (2, 2, 1.0, 250.0),
                (a, 1): (1, 2, 0.5, 40.0),
                (a, 2): (1, 2, 0.5, 60.0),
                (b, 1): (1, 1, 1.0, 10.0),
                (c, 0): (1, 1, 1.0, 70.0),
            },
        )
        s2 = self._pivot(
            ["cohort_date:month", "months_since"],
            [("relationship_owner_id", "=", self.s2.id)],
        )
        self.assertCells(
            s2,
            {
                (a, 1): (1, 2, 0.5, 20.0),
                (a, 2): (1, 2, 0.5, 30.0),
                (b, 1): (0, 1, 0.0, 0.0),
            },
        )

    def test_share_grouped_by_cohort_year_and_by_month_since(self):
        year = self._pivot(["cohort_date:year", "months_since"])
        label = self.Cohort.read_group(
            [("company_id", "=", self.company.id), ("cohort_date", "=", self.month_a)],
            ["customer_count:count_distinct"],
            ["cohort_date:year"],
            lazy=False,
        )[0]["cohort_date:year"]
        self.assertCells(
            year,
            {
                (label, 0): (6, 6, 1.0, 920.0),
                (label, 1): (3, 6, 0.5, 70.0),
                # 2 of 6, where the mean of the cohorts' shares is 0.25
                (label, 2): (2, 6, 2 / 6, 90.0),
                (label, 3): (0, 6, 0.0, 0.0),
            },
        )
        # all cohorts by month since: month 1 counts the cohorts that have
        # one (c8 joined this month and is not counted)
        since = self._pivot(["months_since"])
        self.assertCells(
            since,
            {
                (0,): (7, 7, 1.0, 990.0),
                (1,): (3, 6, 0.5, 70.0),
                (2,): (2, 6, 2 / 6, 90.0),
            },
        )
        # a cohort's total over the months after the first: its repeat rate
        a, b = self._month(self.month_a), self._month(self.month_b)
        repeat = self._pivot(["cohort_date:month"], [("months_since", ">=", 1)])
        self.assertCells(repeat, {(a,): (3, 4, 0.75, 150.0), (b,): (1, 2, 0.5, 10.0)})

    def test_graph_entry_point(self):
        a, b = self._month(self.month_a), self._month(self.month_b)
        curve = self._graph(["months_since", "cohort_date:month"])
        self.assertEqual(curve[1, a], (2, 0.5))
        self.assertEqual(curve[1, b], (1, 0.5))
        self.assertEqual(curve[2, b], (0, 0.0))
        gold = self._graph(["months_since"], [("value_tier_id", "=", self.gold.id)])
        self.assertEqual(gold[1,], (1, 0.5))
        self.assertEqual(gold[2,], (2, 1.0))

    def test_per_company_of_the_order(self):
        # c1's order in the main company makes a cohort there, June of Y,
        # and changes nothing in the test company
        rows = self.Cohort.search(
            [
                ("partner_id", "=", self.customers["c1"].id),
                ("company_id", "=", self.env.company.id),
                ("months_since", "=", 0),
            ]
        )
        self.assertEqual(rows.cohort_date, date(self.year, 6, 1))
        self.assertEqual(rows.revenue, 500.0)
        mine = self.Cohort.search(
            [
                ("partner_id", "=", self.customers["c1"].id),
                ("company_id", "=", self.company.id),
                ("months_since", "=", 0),
            ]
        )
        self.assertEqual(mine.cohort_date, self.month_a)

    # ------------------------------------------------------------------
    # drill-down and access
    # ------------------------------------------------------------------

    def test_drill_down_to_the_customer(self):
        # a pivot cell opens the list of its rows (its domain), a row its customer
        rows = self.Cohort.search(
            [
                ("company_id", "=", self.company.id),
                ("cohort_date", "=", self.month_a),
                ("months_since", "=", 1),
            ]
        )
        self.assertEqual(
            rows.partner_id,
            self.customers["c1"]
            | self.customers["c2"]
            | self.customers["c3"]
            | self.customers["c4"],
        )
        self.assertEqual(
            rows.filtered("is_active").partner_id,
            self.customers["c1"] | self.customers["c4"],
        )
        row = rows.filtered(lambda r: r.partner_id == self.customers["c4"])
        action = row.with_user(self.s2).action_open_customer()
        self.assertEqual(action["res_model"], "res.partner")
        self.assertEqual(action["res_id"], self.customers["c4"].id)

    def test_relationship_user_reads_portal_and_employee_do_not(self):
        desk = new_test_user(
            self.env,
            login="cohort_desk",
            groups="crm_relationship.crm_relationship_group_user",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        a = self._month(self.month_a)
        cells = self._pivot(
            ["cohort_date:month", "months_since"], model=self.Cohort.with_user(desk)
        )
        self.assertCells(cells, {(a, 1): (2, 4, 0.5, 60.0)})
        row = self.Cohort.search([("company_id", "=", self.company.id)], limit=1)
        portal = new_test_user(
            self.env, login="cohort_portal", groups="base.group_portal"
        )
        employee = new_test_user(
            self.env, login="cohort_employee", groups="base.group_user"
        )
        for user in (portal, employee, self.env.ref("base.public_user")):
            with self.assertRaises(AccessError):
                self.Cohort.with_user(user).read_group(
                    [], ["share:share"], ["months_since"]
                )
            with self.assertRaises(AccessError):
                self.Cohort.with_user(user).search([])
            with self.assertRaises(AccessError):
                row.with_user(user).action_open_customer()

    def test_other_company_rows_are_invisible(self):
        other = new_test_user(
            self.env,
            login="cohort_other_company",
            groups="crm_relationship.crm_relationship_group_manager",
            company_id=self.env.company.id,
            company_ids=[(6, 0, self.env.company.ids)],
        )
        mine = self.Cohort.search([("company_id", "=", self.company.id)])
        self.assertTrue(mine)
        self.assertFalse(self.Cohort.with_user(other).search([("id", "in", mine.ids)]))
        groups = self.Cohort.with_user(other).read_group(
            [("partner_id", "=", self.customers["c2"].id)],
            ["share:share"],
            [],
            lazy=False,
        )
        self.assertEqual(groups[0]["__count"], 0)
        with self.assertRaises(AccessError):
            mine[:1].with_user(other).action_open_customer()
