"""18.0.1.1.0: the order figures of a customer become per company.

``relationship_first_order_date``, ``relationship_last_order_date``,
``relationship_order_count`` and ``relationship_revenue_12m`` are now
company-dependent (a jsonb column ``{company_id: value}``). Converted in place,
before Odoo would move the old columns aside: each value is kept under the
customer's company (under the first company for a customer shared by all
companies, until the next run of the stage rules splits it by company).
"""

from odoo.tools import SQL
from odoo.tools.sql import table_columns

COLUMNS = (
    "relationship_first_order_date",
    "relationship_last_order_date",
    "relationship_order_count",
    "relationship_revenue_12m",
)


def migrate(cr, version):
    if not version:
        return
    columns = table_columns(cr, "res_partner")
    cr.execute(SQL("SELECT MIN(id) FROM res_company"))
    first_company = cr.fetchone()[0]
    for column in COLUMNS:
        if column not in columns or columns[column]["udt_name"] == "jsonb":
            continue
        cr.execute(
            SQL(
                """
                ALTER TABLE res_partner
                ALTER COLUMN %(col)s DROP DEFAULT,
                ALTER COLUMN %(col)s TYPE jsonb USING
                    CASE WHEN %(col)s IS NULL THEN NULL
                         ELSE jsonb_build_object(
                             COALESCE(company_id, %(first)s)::text, %(col)s
                         )
                    END
                """,
                col=SQL.identifier(column),
                first=first_company,
            )
        )
