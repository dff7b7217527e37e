"""18.0.1.1.0: the explanation of the scores is rendered when read, in the
reader's language, from the stored figures: its column, rewritten every
night in the company's language, goes (nothing a user entered is in it)."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN IF EXISTS score_explanation"))
