"""18.0.1.2.0: the stage rules job resumes from where it stopped today
(a system parameter), not from a date stamped nightly on every customer: the
stamp's column goes (the job wrote it, nothing a user entered is in it)."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL("ALTER TABLE res_partner DROP COLUMN IF EXISTS relationship_rules_date")
    )
