from odoo import api, fields, models

from .res_partner import RFM_SEGMENTS, RISK_LEVELS


class CrmRelationshipTransition(models.Model):
    """Moves of RFM segment and churn-risk level, created by the scoring job
    when it records the history of a run (:meth:`ScoreJob.record_history_range`)."""

    _inherit = "crm.relationship.transition"

    kind = fields.Selection(
        selection_add=[
            ("segment", "RFM Segment"),
            ("risk_level", "Churn Risk Level"),
            ("next_order", "Next Order Overdue"),
        ],
        ondelete={
            "segment": "cascade",
            "risk_level": "cascade",
            "next_order": "cascade",
        },
    )
    run_id = fields.Many2one(
        "crm.relationship.score.run",
        string="Scoring Run",
        readonly=True,
        ondelete="set null",
    )
    from_segment = fields.Selection(RFM_SEGMENTS, readonly=True)
    to_segment = fields.Selection(RFM_SEGMENTS, readonly=True, index=True)
    from_risk_level = fields.Selection(RISK_LEVELS, readonly=True)
    to_risk_level = fields.Selection(RISK_LEVELS, readonly=True, index=True)

    @api.depends("from_segment", "to_segment", "from_risk_level", "to_risk_level")
    def _compute_name(self):
        return super()._compute_name()

    def _transition_selections(self):
        return {
            **super()._transition_selections(),
            **{
                field: dict(
                    self._fields[f"to_{field}"]._description_selection(self.env)
                )
                for field in ("segment", "risk_level")
            },
        }

    def _transition_labels(self, selections):
        if self.kind == "next_order":
            return self.env._("Expected"), self.env._("Overdue")
        if self.kind not in ("segment", "risk_level"):
            return super()._transition_labels(selections)
        field = "segment" if self.kind == "segment" else "risk_level"
        labels = selections[field]
        return (
            labels.get(self[f"from_{field}"], ""),
            labels.get(self[f"to_{field}"], ""),
        )
