"""Install and uninstall hooks: uninstalling keeps what customers answered.

Odoo uninstalls a module by deleting every record its external ids point to
(``ir.model.data._module_data_uninstall``). The satisfaction surveys shipped in
``data/survey_survey_data.xml`` are such records, and deleting a survey deletes
its answers (``survey.user_input.survey_id`` is ``ondelete="cascade"``): every
customer answer would go with the module.

How it works:

- ``uninstall_hook`` (run before the records are deleted) moves the external
  ids of the surveys, questions, suggested answers and answers of this module
  to the module ``KEPT_MODULE``, which is never installed: Odoo no longer reaches
  them, the surveys stay (as plain surveys, the satisfaction fields go with the
  module) and so do the answers. The columns of the module are dropped with
  it: the company, order and complaint of each answer are kept in the plain
  table ``KEPT_TABLE`` (no model owns it, Odoo leaves it). The Kano results,
  derived from the answers, are dropped with their model.
- ``pre_init_hook`` (reinstall) moves them back, for the records that still
  exist: the data file then finds its surveys instead of creating duplicates
  (the module is installed in "init" mode, so the shipped values, the
  satisfaction kinds and roles among them, are written again on them).
- ``post_init_hook`` gives the answers back their company, order and
  complaint (those that still exist) and recomputes what the reinstall
  recreated empty: the indices of the answers, their Kano results and the
  customers' roll-up per company.
"""

from odoo.tools import SQL
from odoo.tools.sql import table_exists

MODULE = "crm_relationship_survey"
KEPT_MODULE = "__crm_relationship_survey_kept__"
KEPT_TABLE = "crm_relationship_survey_kept_link"
#: models whose records of this module hold or carry customer answers
KEPT_MODELS = (
    "survey.survey",
    "survey.question",
    "survey.question.answer",
    "survey.user_input",
    "survey.user_input.line",
)


def _move_xmlids(env, source, target, existing_only=False):
    env["ir.model.data"].flush_model()
    env.cr.execute(
        SQL(
            """
            UPDATE ir_model_data d
               SET module = %(target)s
             WHERE d.module = %(source)s
               AND d.model = ANY(%(models)s)
               AND NOT EXISTS (SELECT 1 FROM ir_model_data o
                                WHERE o.module = %(target)s AND o.name = d.name)
            """,
            source=source,
            target=target,
            models=list(KEPT_MODELS),
        )
    )
    moved = env.cr.rowcount
    env["ir.model.data"].invalidate_model()
    env.registry.clear_cache()
    return moved


def _keep_links(env):
    """Copy the company, order and complaint of the answers, whose columns go
    with the module, into KEPT_TABLE."""
    env["survey.user_input"].flush_model()
    table = SQL.identifier(KEPT_TABLE)
    env.cr.execute(
        SQL(
            """
            CREATE TABLE IF NOT EXISTS %(table)s (
                user_input_id integer PRIMARY KEY,
                company_id integer,
                sale_order_id integer,
                complaint_id integer
            );
            INSERT INTO %(table)s
            SELECT id, relationship_company_id, sale_order_id, complaint_id
              FROM survey_user_input
             WHERE relationship_company_id IS NOT NULL
                OR sale_order_id IS NOT NULL
                OR complaint_id IS NOT NULL
                ON CONFLICT (user_input_id) DO UPDATE
               SET company_id = EXCLUDED.company_id,
                   sale_order_id = EXCLUDED.sale_order_id,
                   complaint_id = EXCLUDED.complaint_id
            """,
            table=table,
        )
    )


def _restore_links(env):
    """Reinstall: the company, order and complaint kept by _keep_links, for
    the records that still exist."""
    if not table_exists(env.cr, KEPT_TABLE):
        return
    env.cr.execute(
        SQL(
            """
            UPDATE survey_user_input ui
               SET relationship_company_id = c.id,
                   sale_order_id = so.id,
                   complaint_id = cp.id
              FROM %(table)s k
              LEFT JOIN res_company c ON c.id = k.company_id
              LEFT JOIN sale_order so ON so.id = k.sale_order_id
              LEFT JOIN crm_relationship_complaint cp ON cp.id = k.complaint_id
             WHERE ui.id = k.user_input_id;
            DROP TABLE %(table)s
            """,
            table=SQL.identifier(KEPT_TABLE),
        )
    )
    env["survey.user_input"].invalidate_model(
        ["relationship_company_id", "sale_order_id", "complaint_id"]
    )


def uninstall_hook(env):
    """Keep the shipped surveys, hence every answer, when the module goes."""
    _keep_links(env)
    return _move_xmlids(env, MODULE, KEPT_MODULE)


def pre_init_hook(env):
    """Reinstall: give the kept surveys back their external ids (only for the
    records that still exist; stale ids are deleted)."""
    env.cr.execute(
        SQL(
            """
            SELECT d.id, d.model, d.res_id
              FROM ir_model_data d
             WHERE d.module = %(kept)s
            """,
            kept=KEPT_MODULE,
        )
    )
    stale = []
    for xmlid_id, model, res_id in env.cr.fetchall():
        if model not in env or not env[model].browse(res_id).exists():
            stale.append(xmlid_id)
    if stale:
        env.cr.execute(SQL("DELETE FROM ir_model_data WHERE id = ANY(%s)", stale))
    return _move_xmlids(env, KEPT_MODULE, MODULE)


def post_init_hook(env):
    """Reinstall: recompute the indices, Kano results and roll-up of the
    answers kept from a previous installation (nothing on a first install)."""
    _restore_links(env)
    answers = (
        env["survey.user_input"]
        .sudo()
        .search([("relationship_kind", "!=", False), ("state", "=", "done")])
    )
    if not answers:
        return
    answers._relationship_restore()
