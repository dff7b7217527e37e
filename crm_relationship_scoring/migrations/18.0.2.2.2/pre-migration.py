"""18.0.2.2.2, before Odoo updates the schema: two changes of the score table
(``crm_relationship_score``) that the nightly write pays for, each done once
here, every value kept.

- The figures that are not money (P(alive), churn risk, expected purchases,
  health, usual gap, loyalty index, satisfaction) become float8 instead of
  numeric, so that the nightly write does not convert each value: one
  ``ALTER TABLE`` (one rewrite of the table; its fill factor stays), where
  Odoo would rewrite it once per column.
- The run that last changed a row becomes ``run_ref``, an integer without a
  foreign key (``run_id`` is computed from it): the nightly job writes it on
  every row it changes, which the key checked row by row. The column is
  renamed in place and its key dropped.
"""

from odoo.tools import SQL

TABLE = "crm_relationship_score"
FLOAT_COLUMNS = (
    "purchase_gap_days",
    "p_alive",
    "expected_purchases",
    "churn_risk",
    "health_score",
    "loyalty_index",
    "satisfaction_level",
)


def _columns(cr):
    cr.execute(
        SQL(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            TABLE,
        )
    )
    return dict(cr.fetchall())


def float_columns(cr):
    """The figures that are not money as float8; returns the columns
    converted."""
    columns = _columns(cr)
    numeric = [name for name in FLOAT_COLUMNS if columns.get(name) == "numeric"]
    if numeric:
        cr.execute(
            SQL(
                "ALTER TABLE %s %s",
                SQL.identifier(TABLE),
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
    return numeric


def run_reference(cr):
    """``run_id`` (a foreign key) renamed ``run_ref`` without its key;
    returns whether it was."""
    columns = _columns(cr)
    if "run_id" not in columns or "run_ref" in columns:
        return False
    cr.execute(
        SQL(
            """
            SELECT con.conname
              FROM pg_constraint con
              JOIN pg_attribute att ON att.attrelid = con.conrelid
                                   AND att.attnum = ANY(con.conkey)
             WHERE con.conrelid = %s::regclass
               AND con.contype = 'f'
               AND att.attname = 'run_id'
            """,
            TABLE,
        )
    )
    keys = [name for (name,) in cr.fetchall()]
    for name in keys:
        cr.execute(
            SQL(
                "ALTER TABLE %s DROP CONSTRAINT %s",
                SQL.identifier(TABLE),
                SQL.identifier(name),
            )
        )
    if keys:
        cr.execute(
            SQL(
                "DELETE FROM ir_model_constraint WHERE type = 'f' AND name = ANY(%s)",
                keys,
            )
        )
    cr.execute(
        SQL("ALTER TABLE %s RENAME COLUMN run_id TO run_ref", SQL.identifier(TABLE))
    )
    return True


def migrate(cr, version):
    if not version:
        return
    float_columns(cr)
    run_reference(cr)
