"""18.0.2.0.0, after the models load: the scores move to their own table.

Every scored customer's figures, written until now on its ``res_partner``
row, are copied to its row of ``crm.relationship.score`` (the company of the
run that scored it), with what its last history row said, so that the next
run records only what changes; then the score columns of ``res_partner``
go (the job wrote them, nothing a user entered is in them).
"""

from odoo.tools import SQL

#: score columns of res_partner up to 18.0.1.x copied as they are
SCORE_COLUMNS = (
    "rfm_frequency",
    "rfm_monetary",
    "rfm_r_score",
    "rfm_f_score",
    "rfm_m_score",
    "rfm_code",
    "rfm_segment",
    "purchase_gap_days",
    "clv_value",
    "clv_method",
    "p_alive",
    "expected_purchases",
    "churn_risk",
    "churn_risk_level",
    "value_at_risk",
    "health_score",
)
#: every column of res_partner the scoring addon wrote up to 18.0.1.x
LEGACY_COLUMNS = (
    *SCORE_COLUMNS,
    "rfm_recency_days",
    "score_date",
    "score_model_id",
    "score_currency_id",
)


def _legacy_columns(cr):
    cr.execute(
        SQL(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'res_partner' AND column_name = ANY(%s)",
            list(LEGACY_COLUMNS),
        )
    )
    return {name for (name,) in cr.fetchall()}


def copy_partner_scores(cr):
    """Copy the scores stored on ``res_partner`` to ``crm_relationship_score``;
    return the number of customers copied. Does nothing once the columns
    are gone (a database created by 18.0.2)."""
    if _legacy_columns(cr) != set(LEGACY_COLUMNS):
        return 0
    ident = SQL.identifier
    # the run's column of the score table of the version installed: run_ref
    # (18.0.2.2.2, no foreign key), run_id before
    cr.execute(
        SQL(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() "
            "AND table_name = 'crm_relationship_score' "
            "AND column_name IN ('run_ref', 'run_id') ORDER BY column_name DESC"
        )
    )
    run_column = cr.fetchone()[0]
    cr.execute(
        SQL(
            """
            INSERT INTO crm_relationship_score AS s
                   (partner_id, company_id, %(run_column)s, currency_id,
                    last_purchase_date, first_purchase_date, %(columns)s,
                    history_date, history_segment, history_risk_level,
                    history_tier_id, history_stage_id, create_uid, create_date,
                    write_uid, write_date)
            SELECT p.id, c.company_id, run.id,
                   COALESCE(p.score_currency_id, company.currency_id),
                   p.score_date - COALESCE(p.rfm_recency_days, 0),
                   (p.relationship_first_order_date->>c.company_id::text)::date,
                   %(p_columns)s,
                   last.date, last.rfm_segment, p.churn_risk_level,
                   last.value_tier_id,
                   p.relationship_stage_id, 1, now() AT TIME ZONE 'UTC', 1,
                   now() AT TIME ZONE 'UTC'
              FROM res_partner p
              LEFT JOIN crm_relationship_score_run run ON run.id = p.score_model_id
              CROSS JOIN LATERAL (
                    SELECT COALESCE(run.company_id, p.company_id,
                                    (SELECT MIN(id) FROM res_company)) AS company_id
              ) c
              JOIN res_company company ON company.id = c.company_id
              LEFT JOIN LATERAL (
                    SELECT h.date, h.rfm_segment, h.value_tier_id
                      FROM crm_relationship_score_snapshot h
                     WHERE h.partner_id = p.id
                     ORDER BY h.date DESC, h.id DESC
                     LIMIT 1
              ) last ON TRUE
             WHERE p.score_date IS NOT NULL
            ON CONFLICT (partner_id, company_id) DO NOTHING
            """,
            run_column=ident(run_column),
            columns=SQL(", ").join(ident(name) for name in SCORE_COLUMNS),
            p_columns=SQL(", ").join(ident("p", name) for name in SCORE_COLUMNS),
        )
    )
    return cr.rowcount


def drop_partner_scores(cr):
    """Drop the score columns of ``res_partner`` (copied before)."""
    for name in sorted(_legacy_columns(cr)):
        cr.execute(
            SQL(
                "ALTER TABLE res_partner DROP COLUMN IF EXISTS %s", SQL.identifier(name)
            )
        )


def migrate(cr, version):
    if not version:
        return
    copy_partner_scores(cr)
    drop_partner_scores(cr)
