"""18.0.1.1.0: the satisfaction roll-up of res.partner becomes per company.

The old columns summed the answers of every company; their values cannot be
split by company. They are dropped here and the ORM creates them again as
company-dependent jsonb columns ({company id: value}); post-migration.py
recomputes the roll-up per company from the answers (the source of the
figures), so nothing the customers answered is lost.
"""

from odoo.tools import SQL

ROLLUP_COLUMNS = (
    "last_nps_score",
    "last_nps_category",
    "nps_trend",
    "csat_avg_12m",
    "satisfaction_ratio",
    "acsi_index",
    "survey_response_count",
    "last_survey_date",
)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            """
            SELECT column_name
              FROM information_schema.columns
             WHERE table_name = 'res_partner'
               AND column_name = ANY(%s)
               AND data_type != 'jsonb'
            """,
            list(ROLLUP_COLUMNS),
        )
    )
    for (column,) in cr.fetchall():
        cr.execute(
            SQL(
                "ALTER TABLE res_partner DROP COLUMN %s",
                SQL.identifier(column),
            )
        )
