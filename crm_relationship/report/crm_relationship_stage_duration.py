from odoo import fields, models, tools
from odoo.tools import SQL


class CrmRelationshipStageDuration(models.Model):
    """One row per stay of a customer in a stage, for "days per stage" analysis.

    A stay starts with a stage history entry and ends with the customer's next
    entry; the current stay lasts until now. Averaging ``days`` by stage gives
    how long customers usually remain in each stage.
    """

    _name = "crm.relationship.stage.duration"
    _description = "Relationship Days per Stage"
    _auto = False
    _order = "date_from desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    stage_id = fields.Many2one("crm.relationship.stage", readonly=True)
    value_tier_id = fields.Many2one("crm.relationship.tier", readonly=True)
    relationship_owner_id = fields.Many2one("res.users", readonly=True)
    date_from = fields.Datetime(string="Entered", readonly=True)
    date_to = fields.Datetime(string="Left", readonly=True)
    days = fields.Float(string="Days in Stage", readonly=True, aggregator="avg")
    is_current = fields.Boolean(string="Current Stage", readonly=True)
    automatic = fields.Boolean(string="Entered Automatically", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    SELECT h.id,
                           h.partner_id,
                           h.company_id,
                           h.to_stage_id AS stage_id,
                           p.value_tier_id,
                           p.relationship_owner_id,
                           h.date AS date_from,
                           h.next_date AS date_to,
                           EXTRACT(EPOCH FROM COALESCE(h.next_date, NOW() AT TIME
                               ZONE 'UTC') - h.date) / 86400.0 AS days,
                           h.next_date IS NULL AS is_current,
                           h.automatic
                      FROM (
                        SELECT hist.*,
                               LEAD(hist.date) OVER (
                                   PARTITION BY hist.partner_id
                                   ORDER BY hist.date, hist.id
                               ) AS next_date
                          FROM crm_relationship_stage_history hist
                      ) h
                      JOIN res_partner p ON p.id = h.partner_id
                )
                """,
                SQL.identifier(self._table),
            )
        )
