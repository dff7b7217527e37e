from odoo import fields, models, tools
from odoo.models import parse_read_group_spec
from odoo.tools import SQL

from ..models.satisfaction_data import NPS_CATEGORIES
from ..models.survey_survey import RELATIONSHIP_KINDS


class CrmRelationshipSatisfactionReport(models.Model):
    """Satisfaction by month: NPS and CSAT % without the answers.

    How it works
    ------------
    The answers themselves (``survey.user_input``) stay with survey officers:
    they name the customer and hold what they wrote. This SQL view holds
    counts only, so that every relationship user (salespeople included) may
    read the satisfaction figures of their companies: one row per day of
    completion (``end_datetime``, UTC), company the answer counts for
    (``relationship_company_id``), value tier and relationship owner of the
    customer when it answered, kind of satisfaction survey and NPS category,
    of the completed answers (``state = 'done'``) to satisfaction surveys
    (``relationship_kind`` set) that are not test entries. No customer, no
    answer id and no text is in the view; its ``id`` is a row number.

    Rows are days, not months, so that a period filter (the dashboard's
    "last 30 days") selects exactly the answers of the period; the views
    group them by month.

    Measures, for any group of rows (a month, a tier, the whole period):

    * counts -- ``answer_count``, ``promoter_count``, ``passive_count``,
      ``detractor_count``, ``nps_count`` (the three together), ``csat_count``
      (answers with a CSAT score), ``csat_satisfied_count`` (CSAT of 4 or 5):
      always sums;
    * ``nps`` -- 100 × (promoters − detractors) / NPS answers;
    * ``csat_percent`` -- 100 × satisfied CSAT answers / CSAT answers.

    The two ratios are computed per group from the sums of the counts
    (:meth:`_read_group_select`), whatever aggregate is asked: an average of
    the rows' ratios would weigh a day with one answer like a day with a
    hundred. A group without NPS (or CSAT) answers has no value (empty).
    ``__count`` (the pivot's "Count") counts rows, not answers: use
    ``answer_count``.
    """

    _name = "crm.relationship.satisfaction.report"
    _description = "Satisfaction by Month"
    _auto = False
    _order = "date desc"
    _rec_name = "date"

    #: measures summed whatever aggregate is asked
    _SUM_MEASURES = (
        "answer_count",
        "promoter_count",
        "passive_count",
        "detractor_count",
        "nps_count",
        "csat_count",
        "csat_satisfied_count",
    )
    #: measures computed per group from the sums, see _read_group_select
    _RATIO_MEASURES = ("nps", "csat_percent")

    date = fields.Date(
        string="Answered On",
        readonly=True,
        help="Day the answers were completed (UTC).",
    )
    company_id = fields.Many2one(
        "res.company",
        readonly=True,
        help="The company the answers count for.",
    )
    value_tier_id = fields.Many2one(
        "crm.relationship.tier",
        readonly=True,
        help="The customer's value tier when it answered.",
    )
    relationship_owner_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="The customer's relationship owner when it answered.",
    )
    relationship_kind = fields.Selection(
        RELATIONSHIP_KINDS, string="Survey Kind", readonly=True
    )
    nps_category = fields.Selection(
        NPS_CATEGORIES,
        string="NPS Category",
        readonly=True,
        help="Empty for the answers without an NPS question.",
    )
    answer_count = fields.Integer(string="Answers", readonly=True)
    promoter_count = fields.Integer(string="Promoters", readonly=True)
    passive_count = fields.Integer(string="Passives", readonly=True)
    detractor_count = fields.Integer(string="Detractors", readonly=True)
    nps_count = fields.Integer(string="NPS Answers", readonly=True)
    csat_count = fields.Integer(string="CSAT Answers", readonly=True)
    csat_satisfied_count = fields.Integer(
        string="Satisfied CSAT Answers",
        readonly=True,
        help="CSAT answers of 4 or 5.",
    )
    nps = fields.Float(
        string="NPS",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Net Promoter Score: 100 × (promoters − detractors) / NPS answers, "
        "computed for each group as a whole (never an average of ratios).",
    )
    csat_percent = fields.Float(
        string="CSAT %",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="100 × satisfied CSAT answers (4 or 5) / CSAT answers, computed "
        "for each group as a whole (never an average of ratios).",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    SELECT ROW_NUMBER() OVER (
                               ORDER BY g.date, g.company_id, g.value_tier_id,
                                        g.relationship_owner_id,
                                        g.relationship_kind, g.nps_category
                           ) AS id,
                           g.*,
                           g.promoter_count + g.passive_count + g.detractor_count
                               AS nps_count,
                           100.0 * (g.promoter_count - g.detractor_count)::float8
                               / NULLIF(g.promoter_count + g.passive_count
                                        + g.detractor_count, 0) AS nps,
                           100.0 * g.csat_satisfied_count::float8
                               / NULLIF(g.csat_count, 0) AS csat_percent
                      FROM (
                        SELECT COALESCE(ui.end_datetime, ui.write_date)::date
                                   AS date,
                               ui.relationship_company_id AS company_id,
                               ui.value_tier_id,
                               ui.relationship_owner_id,
                               ui.relationship_kind,
                               ui.nps_category,
                               COUNT(*)::int AS answer_count,
                               (COUNT(*) FILTER (
                                   WHERE ui.nps_category = 'promoter'))::int
                                   AS promoter_count,
                               (COUNT(*) FILTER (
                                   WHERE ui.nps_category = 'passive'))::int
                                   AS passive_count,
                               (COUNT(*) FILTER (
                                   WHERE ui.nps_category = 'detractor'))::int
                                   AS detractor_count,
                               (COUNT(*) FILTER (WHERE ui.csat_score > 0))::int
                                   AS csat_count,
                               (COUNT(*) FILTER (
                                   WHERE ui.csat_score > 0
                                     AND ui.csat_satisfied > 0))::int
                                   AS csat_satisfied_count
                          FROM survey_user_input ui
                         WHERE ui.state = 'done'
                           AND ui.test_entry IS NOT TRUE
                           AND ui.relationship_kind IS NOT NULL
                         GROUP BY 1, 2, 3, 4, 5, 6
                      ) g
                )
                """,
                SQL.identifier(self._table),
            )
        )

    # ------------------------------------------------------------
    # Read group: ratios of sums
    # ------------------------------------------------------------

    def _read_group_select(self, aggregate_spec, query):
        """Build the measures of a group in SQL, for any grouping.

        ``read_group`` (pivot, spreadsheet pivots and charts),
        ``web_read_group`` (graph, grouped list) and ``_read_group`` all build
        their aggregates here. Whatever function is asked, the counts are
        summed and the NPS and CSAT % are the ratio of the summed counts of
        the group; the domain (record rules included) is already in
        ``query``.
        """
        if aggregate_spec != "__count":
            fname, __, __ = parse_read_group_spec(aggregate_spec)
            if fname in self._SUM_MEASURES:
                return self._satisfaction_sum(fname, query)
            if fname == "nps":
                promoters = self._satisfaction_sum("promoter_count", query)
                detractors = self._satisfaction_sum("detractor_count", query)
                answers = self._satisfaction_sum("nps_count", query)
                return SQL(
                    "100.0 * (%s - %s)::float8 / NULLIF(%s, 0)",
                    promoters,
                    detractors,
                    answers,
                )
            if fname == "csat_percent":
                satisfied = self._satisfaction_sum("csat_satisfied_count", query)
                answers = self._satisfaction_sum("csat_count", query)
                return SQL("100.0 * %s::float8 / NULLIF(%s, 0)", satisfied, answers)
        return super()._read_group_select(aggregate_spec, query)

    def _satisfaction_sum(self, fname, query):
        # ::int: a sum of integers is a bigint in PostgreSQL, an int in Python
        return SQL(
            "COALESCE(SUM(%s), 0)::int", self._field_to_sql(self._table, fname, query)
        )

    def _read_group_empty_value(self, spec):
        if spec != "__count":
            fname, __, __ = parse_read_group_spec(spec)
            if fname in self._SUM_MEASURES:
                return 0
        return super()._read_group_empty_value(spec)
