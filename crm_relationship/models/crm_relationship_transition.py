from odoo import api, fields, models

#: the kinds of transition of this addon (the scoring addon adds its own)
KINDS = [("stage", "Lifecycle Stage"), ("tier", "Value Tier")]


class CrmRelationshipTransition(models.Model):
    """A customer moved: from one lifecycle stage, value tier (and, with the
    scoring addon, RFM segment or churn-risk level) to another.

    One record per move, created through the ORM (in batches) by the code that
    moves the customer — :meth:`res.partner._relationship_record_moves` for
    stages, :meth:`res.partner._relationship_assign_tiers` for tiers, the
    scoring job for segments and risk levels — so that Odoo's automation rules
    (``base_automation``, trigger "On creation") can act on it: a filter such
    as "to segment = At Risk and tier = Gold" picks the moves to react to.
    A first placement (a new customer, a first tier) is not a move. Written by
    the system only: users read it (list, pivot: "moved from → to").
    """

    _name = "crm.relationship.transition"
    _description = "Customer Transition"
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, ondelete="cascade", readonly=True
    )
    kind = fields.Selection(KINDS, required=True, index=True, readonly=True)
    date = fields.Datetime(
        required=True, default=fields.Datetime.now, index=True, readonly=True
    )
    automatic = fields.Boolean(
        readonly=True, help="Moved by a scheduled job or a rule, not by a person."
    )
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        readonly=True,
        ondelete="set null",
        help="The customer's relationship owner (or salesperson) at the move.",
    )
    value_tier_id = fields.Many2one(
        "crm.relationship.tier",
        string="Tier",
        readonly=True,
        ondelete="set null",
        help="The customer's value tier at the move.",
    )
    from_stage_id = fields.Many2one(
        "crm.relationship.stage", readonly=True, ondelete="set null"
    )
    to_stage_id = fields.Many2one(
        "crm.relationship.stage", readonly=True, ondelete="set null"
    )
    from_tier_id = fields.Many2one(
        "crm.relationship.tier", readonly=True, ondelete="set null"
    )
    to_tier_id = fields.Many2one(
        "crm.relationship.tier", readonly=True, ondelete="set null"
    )
    from_label = fields.Char(string="From", compute="_compute_name")
    to_label = fields.Char(string="To", compute="_compute_name")

    @api.depends("kind", "from_stage_id", "to_stage_id", "from_tier_id", "to_tier_id")
    def _compute_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        selections = self._transition_selections()
        for transition in self:
            old, new = transition._transition_labels(selections)
            transition.from_label = old
            transition.to_label = new
            transition.name = f"{kinds.get(transition.kind, '')}: {old} → {new}"

    def _transition_selections(self):
        """``{field: {code: label}}`` of the selection fields the labels read,
        in the reader's language, built once per recordset (extended by the
        scoring addon)."""
        return {}

    def _transition_labels(self, selections):
        """The display of what the customer moved from and to (extended by the
        scoring addon for its kinds); ``selections`` as
        :meth:`_transition_selections` returns them."""
        self.ensure_one()
        if self.kind == "stage":
            return self.from_stage_id.name or "", self.to_stage_id.name or ""
        if self.kind == "tier":
            return self.from_tier_id.name or "", self.to_tier_id.name or ""
        return "", ""

    @api.model
    def _transition_context(self, partners):
        """Per partner id: the owner and the tier to stamp on its transitions
        (one read of the partners)."""
        return {
            partner.id: {
                "user_id": (partner.relationship_owner_id or partner.user_id).id,
                "value_tier_id": partner.value_tier_id.id,
                "company_id": (partner.company_id or self.env.company).id,
            }
            for partner in partners.sudo()
        }

    @api.model
    def _transition_create(self, vals_list):
        """Create transitions as the system (one batched ``create``), with the
        owner, tier and company of each customer filled in. Automation rules
        on creation run on them."""
        if not vals_list:
            return self.browse()
        partners = self.env["res.partner"].browse({v["partner_id"] for v in vals_list})
        stamps = self._transition_context(partners)
        return (
            self.sudo()
            .with_context(tracking_disable=True)
            .create(
                [
                    {**stamps[vals["partner_id"]], **vals}
                    for vals in vals_list
                    if vals["partner_id"] in stamps
                ]
            )
        )
