"""18.0.2.0.0, before the models load: the scoring run is named as a run.

``crm.relationship.score.model`` becomes ``crm.relationship.score.run``
(table, sequence, constraint, metadata and external ids renamed in place, so
every run and its links are kept), its ``customers`` and ``repeaters`` become
``customer_count`` and ``repeat_customer_count``, the snapshot's
``model_id`` becomes ``run_id``. The scores on ``res_partner`` are copied to
their own table by the post-migration.
"""

from odoo.tools import SQL

OLD_MODEL = "crm.relationship.score.model"
NEW_MODEL = "crm.relationship.score.run"
OLD_TABLE = "crm_relationship_score_model"
NEW_TABLE = "crm_relationship_score_run"
MODULE = "crm_relationship_scoring"
#: (model, table, old field, new field)
FIELD_RENAMES = (
    (NEW_MODEL, NEW_TABLE, "customers", "customer_count"),
    (NEW_MODEL, NEW_TABLE, "repeaters", "repeat_customer_count"),
    (
        "crm.relationship.score.snapshot",
        "crm_relationship_score_snapshot",
        "model_id",
        "run_id",
    ),
)
#: tables whose column names a model by its name
MODEL_REFERENCES = (
    ("ir_model_fields", "relation"),
    ("ir_act_window", "res_model"),
    ("ir_act_server", "model_name"),
    ("ir_ui_view", "model"),
    ("ir_model_data", "model"),
    ("mail_message", "model"),
    ("mail_followers", "res_model"),
    ("mail_activity", "res_model"),
    ("ir_attachment", "res_model"),
)


def _table_exists(cr, table):
    cr.execute(SQL("SELECT to_regclass(%s) IS NOT NULL", table))
    return cr.fetchone()[0]


def _column_exists(cr, table, column):
    cr.execute(
        SQL(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = %s AND column_name = %s",
            table,
            column,
        )
    )
    return bool(cr.fetchone())


def rename_model(cr):
    """Rename the run model, its table and its metadata in place."""
    if not _table_exists(cr, OLD_TABLE) or _table_exists(cr, NEW_TABLE):
        return
    cr.execute(
        SQL(
            "ALTER TABLE %s RENAME TO %s",
            SQL.identifier(OLD_TABLE),
            SQL.identifier(NEW_TABLE),
        )
    )
    if _table_exists(cr, f"{OLD_TABLE}_id_seq"):
        cr.execute(
            SQL(
                "ALTER SEQUENCE %s RENAME TO %s",
                SQL.identifier(f"{OLD_TABLE}_id_seq"),
                SQL.identifier(f"{NEW_TABLE}_id_seq"),
            )
        )
    cr.execute(
        SQL(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND conname LIKE %s",
            NEW_TABLE,
            f"{OLD_TABLE}%",
        )
    )
    for (name,) in cr.fetchall():
        new_name = NEW_TABLE + name[len(OLD_TABLE) :]
        cr.execute(
            SQL(
                "ALTER TABLE %s RENAME CONSTRAINT %s TO %s",
                SQL.identifier(NEW_TABLE),
                SQL.identifier(name),
                SQL.identifier(new_name),
            )
        )
        cr.execute(
            SQL(
                "UPDATE ir_model_constraint SET name = %s WHERE name = %s",
                new_name,
                name,
            )
        )
    cr.execute(
        SQL("UPDATE ir_model SET model = %s WHERE model = %s", NEW_MODEL, OLD_MODEL)
    )
    cr.execute(
        SQL(
            "UPDATE ir_model_fields SET model = %s WHERE model = %s",
            NEW_MODEL,
            OLD_MODEL,
        )
    )
    for table, column in MODEL_REFERENCES:
        if _table_exists(cr, table) and _column_exists(cr, table, column):
            cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s WHERE %s = %s",
                    SQL.identifier(table),
                    SQL.identifier(column),
                    NEW_MODEL,
                    SQL.identifier(column),
                    OLD_MODEL,
                )
            )
    # external ids of the model, its fields, views, actions, rules, access
    cr.execute(
        SQL(
            "UPDATE ir_model_data SET name = replace(name, %s, %s) "
            "WHERE module = %s AND name LIKE %s",
            OLD_TABLE,
            NEW_TABLE,
            MODULE,
            f"%{OLD_TABLE}%",
        )
    )


def rename_fields(cr):
    for model, table, old, new in FIELD_RENAMES:
        if not _column_exists(cr, table, old) or _column_exists(cr, table, new):
            continue
        cr.execute(
            SQL(
                "ALTER TABLE %s RENAME COLUMN %s TO %s",
                SQL.identifier(table),
                SQL.identifier(old),
                SQL.identifier(new),
            )
        )
        cr.execute(
            SQL(
                "UPDATE ir_model_fields SET name = %s WHERE model = %s AND name = %s",
                new,
                model,
                old,
            )
        )
        cr.execute(
            SQL(
                "UPDATE ir_model_data SET name = %s WHERE module = %s AND name = %s",
                f"field_{table}__{new}",
                MODULE,
                f"field_{table}__{old}",
            )
        )


def migrate(cr, version):
    if not version:
        return
    rename_model(cr)
    rename_fields(cr)
