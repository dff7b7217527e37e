"""18.0.2.2.1: the score table is filled to 45 % instead of 70 %, so that the
nightly update of a row fits in its page (a HOT update). The model's
``init`` sets the new fill factor, which only new pages follow: the table is
rewritten once here (``CLUSTER`` on the partner and company key, the order
the nightly batches read it in), keeping every row as it is."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            "SELECT 1 FROM pg_class WHERE relname = %s AND relkind = 'r'",
            "crm_relationship_score",
        )
    )
    if not cr.fetchone():
        return
    cr.execute(SQL("ALTER TABLE crm_relationship_score SET (fillfactor = 45)"))
    cr.execute(
        SQL(
            "CLUSTER crm_relationship_score "
            "USING crm_relationship_score_partner_company_uniq"
        )
    )
    cr.execute(SQL("ANALYZE crm_relationship_score"))
