"""18.0.1.1.0: every satisfaction answer gets the company it counts for, and
the roll-up of the customers is recomputed per company (see pre-migration.py).
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["survey.user_input"]._relationship_fill_company()
    env["res.partner"]._survey_recompute_all_rollups()
