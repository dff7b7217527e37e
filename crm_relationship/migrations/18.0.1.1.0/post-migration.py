"""18.0.1.1.0

- The next run of the stage rules recomputes every customer's order figures
  per company (customers shared by several companies had one figure for all
  of them).
- The ``complaints@`` alias (noupdate data) accepted everyone: it now accepts
  known contacts, as a new database does (Settings changes it).
- Complaints e-mailed before took the subject of the mail as their reference:
  they get a ``CMP/`` number; the old reference is kept in their chatter.
"""

from odoo import SUPERUSER_ID, api
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
    env = api.Environment(cr, SUPERUSER_ID, {})
    alias = env.ref("crm_relationship.mail_alias_complaints", raise_if_not_found=False)
    if alias and alias.alias_contact == "everyone":
        alias.alias_contact = "partners"
    sequence = env["ir.sequence"].search(
        [("code", "=", "crm.relationship.complaint")], limit=1
    )
    if not sequence:
        return
    fixed = (sequence.prefix or "").split("%(")[0]
    complaints = (
        env["crm.relationship.complaint"]
        .with_context(active_test=False)
        .search([("channel", "=", "email"), "!", ("name", "=like", f"{fixed}%")])
    )
    for complaint in complaints:
        old = complaint.name
        complaint.name = sequence.next_by_id()
        complaint.message_post(
            body=env._("Reference given by the upgrade; it was %(old)s.", old=old),
            subtype_xmlid="mail.mt_note",
        )
