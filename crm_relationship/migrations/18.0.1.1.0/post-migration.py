"""18.0.1.1.0: the next run of the stage rules recomputes every customer's
order figures per company (customers shared by several companies had one
figure for all of them)."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            "UPDATE res_partner SET relationship_rules_date = NULL "
            "WHERE relationship_rules_date IS NOT NULL AND company_id IS NULL"
        )
    )
