"""18.0.2.2.2: the score figures that are not money (P(alive), churn risk,
expected purchases, health, usual gap, loyalty index, satisfaction) are
stored as float8 instead of numeric, so that the nightly write does not
convert each value. Changed here in one ``ALTER TABLE`` (one rewrite of the
table, every value kept; its fill factor stays) before Odoo updates the
schema, which would otherwise rewrite the table once per column."""

from odoo.tools import SQL

COLUMNS = (
    "purchase_gap_days",
    "p_alive",
    "expected_purchases",
    "churn_risk",
    "health_score",
    "loyalty_index",
    "satisfaction_level",
)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            """
            SELECT column_name FROM information_schema.columns
             WHERE table_name = %s AND column_name IN %s
               AND data_type = 'numeric'
             ORDER BY column_name
            """,
            "crm_relationship_score",
            COLUMNS,
        )
    )
    numeric = [name for (name,) in cr.fetchall()]
    if not numeric:
        return
    cr.execute(
        SQL(
            "ALTER TABLE crm_relationship_score %s",
            SQL(", ").join(
                SQL(
                    "ALTER COLUMN %s TYPE float8 USING %s::float8",
                    SQL.identifier(name),
                    SQL.identifier(name),
                )
                for name in numeric
            ),
        )
    )
