from odoo import _, api, fields, models
from odoo.exceptions import UserError

PHASES = [
    ("prospect", "Prospect"),
    ("exploration", "Exploration"),
    ("formation", "Formation"),
    ("stability", "Stability"),
    ("decline", "Decline"),
    ("churned", "Churned"),
]
# phases a salesperson must justify when moving a customer into them by hand
REASON_PHASES = ("decline", "churned")


def default_contact_activity_type(env):
    """The activity type of keep-in-touch activities when a tier or stage
    names none: Call, else To-Do (empty when both were deleted)."""
    return env.ref("mail.mail_activity_data_call", raise_if_not_found=False) or (
        env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        or env["mail.activity.type"]
    )


class CrmRelationshipStage(models.Model):
    _name = "crm.relationship.stage"
    _description = "Relationship Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    fold = fields.Boolean(help="Folded in the pipeline when empty.")
    color = fields.Integer()
    description = fields.Text(translate=True)
    phase = fields.Selection(
        PHASES,
        required=True,
        default="prospect",
        help="Lifecycle phase the automatic rules map to this stage.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Playbook Activity",
        ondelete="set null",
        help="Activity scheduled for the relationship owner when a customer enters "
        "this stage.",
    )
    activity_summary = fields.Char(string="Playbook Summary", translate=True)
    activity_delay_days = fields.Integer(string="Playbook Delay (days)", default=0)
    keep_in_touch_days = fields.Integer(
        string="Contact Every (days)",
        default=0,
        help="Keep in touch: contact the customers of this stage at least every "
        "so many days (0: no cadence). A customer not contacted for that long "
        "gets an activity for its owner; with a cadence on its value tier too, "
        "the shorter one applies.",
    )
    keep_in_touch_activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Keep-in-touch Activity",
        ondelete="set null",
        default=lambda self: default_contact_activity_type(self.env),
        help="Activity scheduled for the owner of a customer due for contact.",
    )
    active = fields.Boolean(default=True)
    partner_count = fields.Integer(compute="_compute_partner_count")

    _sql_constraints = [
        (
            "activity_delay_positive",
            "CHECK(activity_delay_days >= 0)",
            "The playbook delay cannot be negative.",
        ),
        (
            "keep_in_touch_days_positive",
            "CHECK(keep_in_touch_days >= 0)",
            "The keep-in-touch cadence cannot be negative.",
        ),
    ]

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("relationship_stage_id", "in", self.ids)],
                ["relationship_stage_id"],
                ["__count"],
            )
        )
        for stage in self:
            stage.partner_count = counts.get(stage, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        used = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search_count([("relationship_stage_id", "in", self.ids)], limit=1)
        )
        if used:
            raise UserError(
                _(
                    "Customers are in this stage: archive the stage instead of "
                    "deleting it."
                )
            )

    @api.model
    def _stage_for_phase(self, phase):
        return self.search([("phase", "=", phase)], limit=1)

    @api.model
    def _stages_by_phase(self):
        stages = {}
        for stage in self.search([]):
            stages.setdefault(stage.phase, stage)
        return stages
