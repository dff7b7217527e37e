from odoo import fields, models, tools
from odoo.models import parse_read_group_spec
from odoo.tools import SQL


class CrmRelationshipCohort(models.Model):
    """Cohort retention: customers by the month of their first order.

    How it works
    ------------
    A customer (commercial partner) joins the cohort of the month of its first
    confirmed order in a company (a customer of two companies is in one cohort
    of each: everything is per company of the order). The view holds one row
    per customer, company and month *since* that first month, from month 0 up
    to the current month, whether or not the customer bought in it: ``is_active``
    says whether it did (at least one confirmed order that month), ``revenue``
    and ``order_count`` what it bought. Months are calendar months of the order
    date in UTC, as the rest of the addon counts days.

    Because every customer has a row in every month its cohort has lived
    through, the customers a group of rows is about are in the group, bought
    or not. Three measures are therefore computed per group by the database,
    whatever the grouping and the domain (:meth:`_read_group_select`):

    * ``customer_count`` -- distinct customers of the group who bought
      (``COUNT(DISTINCT customer) FILTER (WHERE is_active)``);
    * ``cohort_size`` -- distinct customers of the group
      (``COUNT(DISTINCT customer)``);
    * ``share`` -- the first divided by the second.

    For one cell (cohort × months since) ``cohort_size`` is the size of the
    cohort at month 0 and ``share`` its retention. Filtered by a property of
    the customer (value tier, country, state, relationship owner, company) the
    three follow the filter: a cohort of Gold customers keeps its own month 0.
    Grouped by cohort year and months since, the share is the retention of
    the customers of that year's cohorts that have reached that month (a
    cohort younger than N months is not counted at month N: it cannot have
    been active there yet). The total of a cohort over all months is the share
    of its customers who bought in at least one of the months shown (100 %
    with month 0; with a filter "months since ≥ 1", its repeat rate). Stored
    ratios summed or averaged would be wrong for every group but single cells.

    The value tier and relationship owner are the customer's current ones,
    not those it had when it joined.
    """

    _name = "crm.relationship.cohort"
    _description = "Relationship Cohort Retention"
    _auto = False
    _order = "cohort_date desc, months_since, partner_id"
    _rec_name = "partner_id"

    # measures computed per group in SQL, see _read_group_select
    _COHORT_MEASURES = ("customer_count", "cohort_size", "share")

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    cohort_date = fields.Date(
        string="Cohort",
        readonly=True,
        help="First day of the month of the customer's first confirmed order "
        "in this company.",
    )
    activity_date = fields.Date(
        string="Month", readonly=True, help="First day of the month of this row."
    )
    months_since = fields.Integer(
        string="Months Since First Order", readonly=True, aggregator=None
    )
    is_active = fields.Boolean(
        string="Bought",
        readonly=True,
        help="The customer has at least one confirmed order in this month.",
    )
    customer_count = fields.Integer(
        string="Customers",
        readonly=True,
        aggregator="count_distinct",
        help="Customers who bought in the month (in a group: distinct "
        "customers who bought in any of its months).",
    )
    cohort_size = fields.Integer(
        string="Cohort Customers",
        readonly=True,
        aggregator="count_distinct",
        help="Customers of the cohort the share is computed on: for one "
        "cohort and month, the customers of the cohort at month 0.",
    )
    share = fields.Float(
        string="Share of Cohort",
        readonly=True,
        aggregator="share",
        digits=(16, 1),
        help="Customers who bought divided by the customers of the cohort, "
        "computed for each group as a whole (never a sum or an average of "
        "ratios).",
    )
    revenue = fields.Float(
        readonly=True,
        help="Untaxed amount of the month's confirmed orders, in the currency "
        "of the company.",
    )
    order_count = fields.Integer(string="Orders", readonly=True)
    value_tier_id = fields.Many2one("crm.relationship.tier", readonly=True)
    relationship_owner_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="The salesperson who owns the customer (set from the customer's "
        "salesperson, then by relationship administrators).",
    )
    country_id = fields.Many2one("res.country", readonly=True)
    state_id = fields.Many2one("res.country.state", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    WITH months AS (
                        SELECT cp.id AS partner_id,
                               so.company_id,
                               date_trunc('month', so.date_order)::date AS month,
                               COUNT(*) AS order_count,
                               SUM(so.amount_untaxed
                                   / COALESCE(NULLIF(so.currency_rate, 0), 1.0))
                                   AS revenue
                          FROM sale_order so
                          JOIN res_partner p ON p.id = so.partner_id
                          JOIN res_partner cp ON cp.id = p.commercial_partner_id
                         WHERE so.state = 'sale'
                         GROUP BY cp.id, so.company_id,
                                  date_trunc('month', so.date_order)::date
                    ), members AS (
                        SELECT partner_id, company_id, MIN(month) AS cohort_date
                          FROM months
                         GROUP BY partner_id, company_id
                    )
                    SELECT ROW_NUMBER() OVER (
                               ORDER BY m.partner_id, m.company_id, g.month
                           ) AS id,
                           m.partner_id,
                           m.company_id,
                           m.cohort_date,
                           g.month::date AS activity_date,
                           ((EXTRACT(YEAR FROM g.month)
                             - EXTRACT(YEAR FROM m.cohort_date)) * 12
                            + EXTRACT(MONTH FROM g.month)
                            - EXTRACT(MONTH FROM m.cohort_date))::int
                               AS months_since,
                           o.partner_id IS NOT NULL AS is_active,
                           (o.partner_id IS NOT NULL)::int AS customer_count,
                           1 AS cohort_size,
                           (o.partner_id IS NOT NULL)::int::float8 AS share,
                           COALESCE(o.revenue, 0.0) AS revenue,
                           COALESCE(o.order_count, 0)::int AS order_count,
                           cp.value_tier_id,
                           cp.relationship_owner_id,
                           cp.country_id,
                           cp.state_id
                      FROM members m
                      JOIN res_partner cp ON cp.id = m.partner_id
                     CROSS JOIN LATERAL generate_series(
                           m.cohort_date::timestamp,
                           GREATEST(m.cohort_date::timestamp,
                                    date_trunc('month', NOW() AT TIME ZONE 'UTC')),
                           INTERVAL '1 month'
                       ) AS g(month)
                      LEFT JOIN months o
                        ON o.partner_id = m.partner_id
                       AND o.company_id = m.company_id
                       AND o.month = g.month::date
                )
                """,
                SQL.identifier(self._table),
            )
        )

    # ------------------------------------------------------------
    # Read group: measures that are ratios of distinct counts
    # ------------------------------------------------------------

    def _read_group_select(self, aggregate_spec, query):
        """Compute the cohort measures of a group in SQL, for any grouping.

        ``read_group`` (the pivot), ``web_read_group`` (graph, grouped list)
        and ``_read_group`` all build their aggregates here. Whatever function
        is asked for ``customer_count``, ``cohort_size`` or ``share``, the
        measure keeps its one meaning: distinct customers (customer and
        company of the row) of the group who bought, distinct customers of
        the group, and their ratio. The domain (record rules included) is
        already in ``query``, so the share of a filtered report divides by
        the filtered cohort.
        """
        if aggregate_spec != "__count":
            fname, __, __ = parse_read_group_spec(aggregate_spec)
            if fname in self._COHORT_MEASURES:
                customer = SQL(
                    "(%s, %s)",
                    self._field_to_sql(self._table, "partner_id", query),
                    self._field_to_sql(self._table, "company_id", query),
                )
                active = SQL(
                    "COUNT(DISTINCT %s) FILTER (WHERE %s)",
                    customer,
                    self._field_to_sql(self._table, "is_active", query),
                )
                tracked = SQL("COUNT(DISTINCT %s)", customer)
                if fname == "customer_count":
                    return active
                if fname == "cohort_size":
                    return tracked
                return SQL("(%s)::float8 / NULLIF(%s, 0)", active, tracked)
        return super()._read_group_select(aggregate_spec, query)

    def _read_group_empty_value(self, spec):
        if spec != "__count":
            fname, __, __ = parse_read_group_spec(spec)
            if fname == "share":
                return 0.0
            if fname in self._COHORT_MEASURES:
                return 0
        return super()._read_group_empty_value(spec)

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_open_customer(self):
        """Open the customer of a row (from the drill-down list).

        A public method, callable over RPC: the caller must be able to read
        the row (relationship users of its company), and the customer is
        opened with the caller's own rights.
        """
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "views": [(False, "form")],
            "target": "current",
        }
