from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .crm_relationship_complaint import SEVERITIES


class CrmRelationshipSlaPolicy(models.Model):
    """Service levels for complaints: hours to acknowledge and to resolve.

    The most specific active policy applies: one matching both the severity and
    the category beats one matching a single criterion, which beats a policy
    with neither. Hours are working hours of the policy's calendar.
    """

    _name = "crm.relationship.sla.policy"
    _description = "Complaint Service Level Policy"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.company,
    )
    severity = fields.Selection(SEVERITIES, help="Empty: every severity.")
    category_id = fields.Many2one(
        "crm.relationship.complaint.category",
        ondelete="cascade",
        help="Empty: every category.",
    )
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        required=True,
        ondelete="restrict",
        default=lambda self: self.env.company.resource_calendar_id,
    )
    acknowledge_hours = fields.Float(
        string="Hours to Acknowledge", required=True, default=8.0
    )
    resolve_hours = fields.Float(string="Hours to Resolve", required=True, default=40.0)
    escalate_user_id = fields.Many2one(
        "res.users",
        string="Escalate To",
        ondelete="set null",
        help="Gets an activity when a complaint breaches this policy.",
    )
    escalate_group_id = fields.Many2one(
        "res.groups",
        string="Escalate To Group",
        ondelete="set null",
        help="Every member gets an activity when a complaint breaches this policy.",
    )

    @api.constrains("acknowledge_hours", "resolve_hours")
    def _check_hours(self):
        for policy in self:
            if policy.acknowledge_hours <= 0 or policy.resolve_hours <= 0:
                raise ValidationError(
                    _(
                        "Policy %(policy)s: the hours must be positive.",
                        policy=policy.name,
                    )
                )
            if policy.resolve_hours < policy.acknowledge_hours:
                raise ValidationError(
                    _(
                        "Policy %(policy)s: resolving cannot take fewer hours than "
                        "acknowledging.",
                        policy=policy.name,
                    )
                )

    @api.model
    def _find(self, company, severity, category):
        """The most specific active policy for these criteria (or empty)."""
        policies = self.search(
            [
                ("company_id", "=", company.id),
                ("severity", "in", [severity, False]),
                ("category_id", "in", [category.id, False]),
            ]
        )
        if not policies:
            return self

        def specificity(policy):
            return (
                bool(policy.severity) + bool(policy.category_id),
                -policy.sequence,
                -policy.id,
            )

        return max(policies, key=specificity)

    def _escalation_users(self):
        self.ensure_one()
        users = self.escalate_user_id | self.escalate_group_id.users
        return users.filtered(lambda u: u.active and not u.share)
