from datetime import timedelta

from odoo import api, fields, models


class CrmRelationshipStageHistory(models.Model):
    _name = "crm.relationship.stage.history"
    _description = "Relationship Stage History"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company",
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.company,
    )
    from_stage_id = fields.Many2one("crm.relationship.stage", ondelete="restrict")
    to_stage_id = fields.Many2one(
        "crm.relationship.stage", required=True, ondelete="restrict"
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    user_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, ondelete="set null"
    )
    automatic = fields.Boolean(help="Moved by the automatic stage rules.")
    reason_id = fields.Many2one("crm.relationship.reason", ondelete="restrict")
    note = fields.Text()
    activity_scheduled = fields.Boolean(readonly=True)
    end_date = fields.Datetime(
        compute="_compute_duration", help="When the customer left this stage."
    )
    duration_days = fields.Float(
        compute="_compute_duration", help="Days spent in the stage (until today)."
    )

    @api.depends("date", "partner_id")
    def _compute_duration(self):
        """Each entry lasts until the partner's next entry (or now)."""
        now = fields.Datetime.now()
        nexts = {}
        if self.partner_id:
            later = self.search(
                [("partner_id", "in", self.partner_id.ids)], order="date asc, id asc"
            )
            by_partner = {}
            for entry in later:
                by_partner.setdefault(entry.partner_id.id, []).append(entry)
            for entries in by_partner.values():
                for current, following in zip(entries, entries[1:], strict=False):
                    nexts[current.id] = following.date
        for entry in self:
            end = nexts.get(entry.id)
            entry.end_date = end
            delta = (end or now) - entry.date if entry.date else None
            entry.duration_days = delta.total_seconds() / 86400.0 if delta else 0.0

    def _relationship_schedule_playbook(self):
        """One playbook activity per stage entry, for the relationship owner."""
        todo = self.filtered(
            lambda h: h.to_stage_id.activity_type_id and not h.activity_scheduled
        )
        if not todo:
            return self.env["mail.activity"]
        model_id = self.env["ir.model"]._get_id("res.partner")
        today = fields.Date.context_today(self)
        # each activity's name is its partner's display name, which
        # mail.activity computes one record at a time (a read of every column
        # of res_partner per activity): computed here for all of them at once
        todo.partner_id.sudo().with_context(prefetch_fields=True).mapped("display_name")
        activities = (
            self.env["mail.activity"]
            .sudo()
            .create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": entry.partner_id.id,
                        "activity_type_id": entry.to_stage_id.activity_type_id.id,
                        "summary": entry.to_stage_id.activity_summary
                        or entry.to_stage_id.name,
                        "date_deadline": today
                        + timedelta(days=entry.to_stage_id.activity_delay_days),
                        "user_id": (
                            entry.partner_id.relationship_owner_id
                            or entry.partner_id.user_id
                            or self.env.user
                        ).id,
                    }
                    for entry in todo
                ]
            )
        )
        todo.write({"activity_scheduled": True})
        return activities
