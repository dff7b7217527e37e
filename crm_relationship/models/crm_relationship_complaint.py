import time
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import plaintext2html

from odoo.addons.mail.tools.alias_error import AliasError

from .crm_relationship_complaint_stage import DONE_STATES, OPEN_STATES

SEVERITIES = [
    ("low", "Low"),
    ("normal", "Normal"),
    ("high", "High"),
    ("critical", "Critical"),
]
CHANNELS = [
    ("portal", "Portal"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("chat", "Chat"),
    ("social", "Social Media"),
    ("in_person", "In Person"),
]
RESOLUTION_TYPES = [
    ("refund", "Refund"),
    ("replacement", "Replacement"),
    ("repair", "Repair"),
    ("compensation", "Compensation"),
    ("apology", "Apology / Explanation"),
    ("no_action", "No Action"),
]
DISPUTE_LEVELS = [
    ("none", "None"),
    ("negotiation", "Negotiation"),
    ("mediation", "Mediation"),
    ("arbitration", "Arbitration"),
    ("litigation", "Litigation"),
]
SLA_STATUSES = [
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
    ("met", "Met"),
]
AT_RISK_SHARE = 0.8
COMPLAINT_MODEL = "crm.relationship.complaint"
SLA_JOB = "crm_relationship.sla"
USER_GROUP = "crm_relationship.crm_relationship_group_user"
MANAGER_GROUP = "crm_relationship.crm_relationship_group_manager"
#: files a customer (portal or public user) attaches to one message, and the
#: size of each: the portal form, the portal chatter and message edits alike
CUSTOMER_MAX_ATTACHMENTS = 5
CUSTOMER_MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024  # bytes
#: characters of the description a customer types on the portal form
CUSTOMER_MAX_DESCRIPTION = 20000
#: figures computed from the policy and the dates: nobody writes them over
#: RPC (only the system, in sudo); an administrator corrects their inputs
SYSTEM_FIELDS = frozenset(
    {
        "priority_rank",
        "acknowledge_deadline",
        "resolve_deadline",
        "acknowledge_risk_date",
        "resolve_risk_date",
        "sla_status",
        "sla_compliance",
        "time_to_acknowledge",
        "time_to_resolve",
        "escalated",
    }
)
#: values the workflow, the service-level job and the sequence set: only a
#: relationship administrator correcting data may change them (tracked)
MANAGED_FIELDS = frozenset(
    {
        "name",
        "sla_policy_id",
        "date_received",
        "date_acknowledged",
        "date_resolved",
        "date_closed",
        "acknowledge_warned",
        "acknowledge_escalated",
        "resolve_warned",
        "resolve_escalated",
        "reopen_count",
        # the customer says it on the portal (_portal_accept_resolution)
        "customer_acceptance",
    }
)


def _to_id(value):
    """The record id a form sent as text (or an int), else None."""
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


class CrmRelationshipComplaint(models.Model):
    """A customer complaint, from the portal, e-mail, phone or the back office.

    Security in short (see also ``security/crm_relationship_security.xml``):

    * the reference comes from the sequence, whatever the caller sends;
    * service-level figures are computed (:data:`SYSTEM_FIELDS`) or set by the
      workflow (:data:`MANAGED_FIELDS`): users cannot write them, relationship
      administrators may correct the latter, and every change is tracked;
    * internal fields (analysis, dispute, compensation, service levels) are
      for employees only (``groups="base.group_user"``): the portal pages read
      the complaint in sudo after the access check and show the rest;
    * e-mail proves no identity: an e-mailed complaint waits, without a
      customer, until a staff member confirms who sent it (see
      :meth:`message_new`).
    """

    _name = COMPLAINT_MODEL
    _description = "Customer Complaint"
    _inherit = ["portal.mixin", "mail.thread.cc", "mail.activity.mixin"]
    # the views sort by priority first; the model's order uses no internal
    # field, so that portal users (who cannot read the severity) can search
    _order = "date_received desc, id desc"
    _mail_post_access = "read"
    _primary_email = "email_from"

    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        default="New",
        tracking=True,
    )
    subject = fields.Char(tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        tracking=True,
        ondelete="restrict",
        domain="[('parent_id', '=', False)]",
        help="Required, except for a complaint received by e-mail: it waits to "
        "be identified until a staff member sets or confirms its customer.",
    )
    sender_partner_id = fields.Many2one(
        "res.partner",
        string="Sender",
        readonly=True,
        copy=False,
        ondelete="set null",
        groups="base.group_user",
        help="Contact whose address matches the sender of the e-mail. An "
        "address proves nothing (anyone can write any From:): confirm the "
        "customer before the complaint is filed on their account.",
    )
    contact_id = fields.Many2one(
        "res.partner",
        ondelete="set null",
        domain="[('commercial_partner_id', '=', partner_id)]",
    )
    email_from = fields.Char(string="Email", help="Address the complaint came from.")
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Sales Order",
        index=True,
        tracking=True,
        ondelete="set null",
        domain="[('partner_id.commercial_partner_id', '=', partner_id)]",
    )
    sale_order_line_id = fields.Many2one(
        "sale.order.line",
        string="Order Line",
        ondelete="set null",
        domain="[('order_id', '=', sale_order_id)]",
    )
    product_id = fields.Many2one(
        "product.product",
        compute="_compute_product_id",
        store=True,
        readonly=False,
        ondelete="set null",
    )
    channel = fields.Selection(CHANNELS, required=True, default="phone")
    category_id = fields.Many2one(
        "crm.relationship.complaint.category",
        tracking=True,
        ondelete="restrict",
    )
    severity = fields.Selection(
        SEVERITIES,
        required=True,
        default="normal",
        tracking=True,
        groups="base.group_user",
    )
    priority_rank = fields.Integer(
        compute="_compute_priority_rank", store=True, groups="base.group_user"
    )
    stage_id = fields.Many2one(
        "crm.relationship.complaint.stage",
        required=True,
        index=True,
        tracking=True,
        copy=False,
        ondelete="restrict",
        group_expand="_read_group_stage_ids",
        default=lambda self: self._default_stage_id(),
    )
    state = fields.Selection(related="stage_id.state", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        tracking=True,
        index=True,
        ondelete="set null",
        domain="[('share', '=', False)]",
    )
    description = fields.Html(sanitize=True, sanitize_attributes=True)
    root_cause = fields.Text(groups="base.group_user")
    corrective_action = fields.Text(groups="base.group_user")
    preventive_action = fields.Text(groups="base.group_user")
    resolution_type = fields.Selection(RESOLUTION_TYPES, tracking=True)
    resolution = fields.Text(
        string="Resolution Summary", help="What was done, as told to the customer."
    )
    compensation_amount = fields.Monetary(
        currency_field="currency_id", groups="base.group_user"
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        ondelete="restrict",
        default=lambda self: self.env.company.currency_id,
    )
    dispute_level = fields.Selection(
        DISPUTE_LEVELS,
        required=True,
        default="none",
        tracking=True,
        groups="base.group_user",
        help="Negotiation, then mediation, arbitration and litigation.",
    )
    customer_acceptance = fields.Selection(
        [("pending", "Pending"), ("yes", "Accepted"), ("no", "Refused")],
        string="Customer Accepted",
        required=True,
        default="pending",
        tracking=True,
        copy=False,
    )
    date_received = fields.Datetime(
        string="Received",
        required=True,
        default=fields.Datetime.now,
        index=True,
        tracking=True,
    )
    date_acknowledged = fields.Datetime(
        string="Acknowledged", copy=False, tracking=True
    )
    date_resolved = fields.Datetime(string="Resolved", copy=False, tracking=True)
    date_closed = fields.Datetime(string="Closed", copy=False, tracking=True)
    reopen_count = fields.Integer(
        string="Reopened", copy=False, readonly=True, groups="base.group_user"
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.company,
    )
    color = fields.Integer(groups="base.group_user")

    # service levels (internal: employees only)
    sla_policy_id = fields.Many2one(
        "crm.relationship.sla.policy",
        string="Service Level",
        compute="_compute_sla_policy_id",
        store=True,
        readonly=False,  # relationship administrators may choose another one
        ondelete="set null",
        tracking=True,
        groups="base.group_user",
    )
    acknowledge_deadline = fields.Datetime(
        compute="_compute_deadlines",
        store=True,
        string="Acknowledge By",
        tracking=True,
        groups="base.group_user",
    )
    resolve_deadline = fields.Datetime(
        compute="_compute_deadlines",
        store=True,
        string="Resolve By",
        tracking=True,
        groups="base.group_user",
    )
    acknowledge_risk_date = fields.Datetime(
        compute="_compute_deadlines", store=True, groups="base.group_user"
    )
    resolve_risk_date = fields.Datetime(
        compute="_compute_deadlines", store=True, groups="base.group_user"
    )
    sla_status = fields.Selection(
        SLA_STATUSES,
        string="SLA Status",
        compute="_compute_sla_status",
        store=True,
        index=True,
        groups="base.group_user",
    )
    sla_compliance = fields.Float(
        string="SLA Compliance (%)",
        compute="_compute_sla_status",
        store=True,
        aggregator="avg",
        groups="base.group_user",
        help="100 when the complaint met its service level, otherwise 0; its "
        "average over resolved complaints is the SLA compliance rate.",
    )
    time_to_acknowledge = fields.Float(
        string="Hours to Acknowledge",
        compute="_compute_times",
        store=True,
        aggregator="avg",
        groups="base.group_user",
        help="Working hours between reception and acknowledgement.",
    )
    time_to_resolve = fields.Float(
        string="Hours to Resolve",
        compute="_compute_times",
        store=True,
        aggregator="avg",
        groups="base.group_user",
        help="Working hours between reception and resolution.",
    )
    acknowledge_warned = fields.Boolean(
        copy=False, readonly=True, groups="base.group_user"
    )
    acknowledge_escalated = fields.Boolean(
        copy=False, readonly=True, groups="base.group_user"
    )
    resolve_warned = fields.Boolean(copy=False, readonly=True, groups="base.group_user")
    resolve_escalated = fields.Boolean(
        copy=False, readonly=True, groups="base.group_user"
    )
    escalated = fields.Boolean(
        compute="_compute_escalated",
        store=True,
        tracking=True,
        groups="base.group_user",
        help="A breach of the service level was escalated.",
    )

    _sql_constraints = [
        (
            "compensation_positive",
            "CHECK(compensation_amount IS NULL OR compensation_amount >= 0)",
            "The compensation cannot be negative.",
        ),
    ]

    # ------------------------------------------------------------------
    # Defaults and computes
    # ------------------------------------------------------------------
    @api.model
    def _default_stage_id(self):
        return self.env["crm.relationship.complaint.stage"].search(
            [("state", "=", "new")], limit=1
        )

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([], order=stages._order)

    @api.depends("sale_order_line_id")
    def _compute_product_id(self):
        for complaint in self:
            if complaint.sale_order_line_id:
                complaint.product_id = complaint.sale_order_line_id.product_id

    @api.depends("severity")
    def _compute_priority_rank(self):
        ranks = {code: rank for rank, (code, _label) in enumerate(SEVERITIES)}
        for complaint in self:
            complaint.priority_rank = ranks.get(complaint.severity, 0)

    @api.depends("severity", "category_id", "company_id")
    def _compute_sla_policy_id(self):
        Policy = self.env["crm.relationship.sla.policy"]
        for complaint in self:
            complaint.sla_policy_id = Policy._find(
                complaint.company_id, complaint.severity, complaint.category_id
            )

    @api.depends(
        "date_received",
        "sla_policy_id.calendar_id",
        "sla_policy_id.acknowledge_hours",
        "sla_policy_id.resolve_hours",
    )
    def _compute_deadlines(self):
        for complaint in self:
            policy, start = complaint.sla_policy_id, complaint.date_received
            if not policy or not start:
                complaint.update(
                    {
                        "acknowledge_deadline": False,
                        "resolve_deadline": False,
                        "acknowledge_risk_date": False,
                        "resolve_risk_date": False,
                    }
                )
                continue
            calendar = policy.calendar_id

            def plan(hours, calendar=calendar, start=start):
                return calendar.plan_hours(hours, start, compute_leaves=True)

            complaint.acknowledge_deadline = plan(policy.acknowledge_hours)
            complaint.resolve_deadline = plan(policy.resolve_hours)
            complaint.acknowledge_risk_date = plan(
                policy.acknowledge_hours * AT_RISK_SHARE
            )
            complaint.resolve_risk_date = plan(policy.resolve_hours * AT_RISK_SHARE)

    @api.depends(
        "state",
        "date_acknowledged",
        "date_resolved",
        "acknowledge_deadline",
        "resolve_deadline",
    )
    def _compute_sla_status(self):
        now = fields.Datetime.now()
        for complaint in self:
            status = complaint._sla_status_at(now)
            complaint.sla_status = status
            complaint.sla_compliance = 100.0 if status == "met" else 0.0

    def _sla_status_at(self, now):
        """SLA status at ``now``: met/breached once resolved, else by deadline."""
        self.ensure_one()
        if not self.resolve_deadline or self.state == "rejected":
            return False
        if self.state in DONE_STATES:
            late_ack = (
                self.date_acknowledged
                and self.date_acknowledged > self.acknowledge_deadline
            )
            late = (self.date_resolved or now) > self.resolve_deadline
            return "breached" if late or late_ack else "met"
        if not self.date_acknowledged:
            deadline, risk = self.acknowledge_deadline, self.acknowledge_risk_date
        else:
            if self.date_acknowledged > self.acknowledge_deadline:
                return "breached"
            deadline, risk = self.resolve_deadline, self.resolve_risk_date
        if now > deadline:
            return "breached"
        if risk and now >= risk:
            return "at_risk"
        return "on_track"

    @api.depends("date_received", "date_acknowledged", "date_resolved", "sla_policy_id")
    def _compute_times(self):
        for complaint in self:
            calendar = (
                complaint.sla_policy_id.calendar_id
                or complaint.company_id.resource_calendar_id
            )
            start = complaint.date_received

            def hours(end, calendar=calendar, start=start):
                if not (calendar and start and end) or end <= start:
                    return 0.0
                return calendar.get_work_hours_count(start, end, compute_leaves=True)

            complaint.time_to_acknowledge = hours(complaint.date_acknowledged)
            complaint.time_to_resolve = hours(complaint.date_resolved)

    @api.depends("acknowledge_escalated", "resolve_escalated")
    def _compute_escalated(self):
        for complaint in self:
            complaint.escalated = (
                complaint.acknowledge_escalated or complaint.resolve_escalated
            )

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for complaint in self:
            complaint.access_url = f"/my/complaints/{complaint.id}"
        return res

    @api.depends("name", "subject")
    def _compute_display_name(self):
        for complaint in self:
            complaint.display_name = (
                f"{complaint.name} - {complaint.subject}"
                if complaint.subject
                else complaint.name
            )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("partner_id", "channel")
    def _check_partner(self):
        """Only an e-mailed complaint may wait for its customer to be identified."""
        for complaint in self:
            if not complaint.partner_id and complaint.channel != "email":
                raise ValidationError(
                    _(
                        "Choose the customer of complaint %(complaint)s.",
                        complaint=complaint.name,
                    )
                )

    @api.constrains("partner_id", "sale_order_id", "sale_order_line_id", "contact_id")
    def _check_order_belongs_to_customer(self):
        for complaint in self:
            order, line = complaint.sale_order_id, complaint.sale_order_line_id
            customer = complaint.partner_id
            if order and order.partner_id.commercial_partner_id != customer:
                raise ValidationError(
                    _(
                        "Order %(order)s does not belong to %(customer)s.",
                        order=order.name,
                        customer=customer.display_name,
                    )
                )
            if line and line.order_id != order:
                raise ValidationError(
                    _(
                        "The order line must belong to the complaint's order "
                        "%(order)s.",
                        order=order.name or "-",
                    )
                )
            contact = complaint.contact_id
            if contact and contact.commercial_partner_id != customer:
                raise ValidationError(
                    _(
                        "%(contact)s is not a contact of %(customer)s.",
                        contact=contact.display_name,
                        customer=customer.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model
    def _field_labels(self, names):
        return ", ".join(
            sorted(self._fields[name]._description_string(self.env) for name in names)
        )

    @api.model
    def _check_system_values(self, vals, create=False):
        """Refuse what users may not write: SLA figures, workflow dates, flags.

        The service-level job and the workflow write in sudo; a relationship
        administrator may correct :data:`MANAGED_FIELDS` (tracked), nobody
        writes :data:`SYSTEM_FIELDS`. No context key changes this. On
        creation, empty values (what a form sends) are accepted, and the
        reception date may be set by anyone, but not in the future.
        """
        if self.env.su:
            return
        written = {
            name
            for name in vals
            if name in SYSTEM_FIELDS | MANAGED_FIELDS and (vals[name] or not create)
        }
        if create:
            written -= {"name", "date_received"}
            if vals.get("customer_acceptance") == "pending":
                written.discard("customer_acceptance")
            received = vals.get("date_received")
            if received and fields.Datetime.to_datetime(received) > (
                fields.Datetime.now()
            ):
                raise UserError(_("A complaint cannot be received in the future."))
        computed = written & SYSTEM_FIELDS
        if computed:
            raise AccessError(
                _(
                    "The service levels of a complaint are computed: %(fields)s "
                    "cannot be written.",
                    fields=self._field_labels(computed),
                )
            )
        if written and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _(
                    "Only relationship administrators can correct %(fields)s of a "
                    "complaint.",
                    fields=self._field_labels(written),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        Partner = self.env["res.partner"]
        for vals in vals_list:
            self._check_system_values(vals, create=True)
            if vals.get("partner_id"):
                # complaints belong to the commercial partner; keep the person
                partner = Partner.browse(vals["partner_id"])
                commercial = partner.commercial_partner_id
                if partner != commercial:
                    vals.setdefault("contact_id", partner.id)
                    vals["partner_id"] = commercial.id
                if not vals.get("user_id"):
                    vals["user_id"] = commercial.relationship_owner_id.id or False
            # the reference always comes from the sequence (never from an
            # e-mail subject or a caller)
            vals["name"] = self.env["ir.sequence"].next_by_code(COMPLAINT_MODEL) or _(
                "New"
            )
        complaints = super().create(vals_list)
        user = self.env.user
        employee = user if not user.share and not self.env.su else user.browse()
        # the category's owner, else the employee who logged it: one write per owner
        by_owner = defaultdict(lambda: self.browse())
        for complaint in complaints.filtered(lambda c: not c.user_id):
            by_owner[complaint.category_id.user_id or employee] |= complaint
        for owner, owned in by_owner.items():
            if owner:
                super(CrmRelationshipComplaint, owned).write({"user_id": owner.id})
        complaints._subscribe_customer()
        complaints._apply_stage_dates()
        return complaints

    def write(self, vals):
        self._check_system_values(vals)
        if not self.env.su and (
            "stage_id" in vals or set(vals) & (SYSTEM_FIELDS | MANAGED_FIELDS)
        ):
            # stage and service-level changes are tracked whatever the context
            self = self.with_context(tracking_disable=False, mail_notrack=False)
        identified = changed_customer = self.browse()
        if "partner_id" in vals:
            changed_customer = self.filtered(
                lambda c: c.partner_id.id != (vals["partner_id"] or False)
            )
            identified = changed_customer.filtered(lambda c: not c.partner_id)
        if "stage_id" not in vals:
            res = super().write(vals)
        else:
            res = self._write_stage(vals)
        if changed_customer:
            # a link shared with the former customer must not open the complaint
            super(CrmRelationshipComplaint, changed_customer).write(
                {"access_token": False}
            )
        if identified:
            identified._on_identified()
        return res

    def _write_stage(self, vals):
        stage = self.env["crm.relationship.complaint.stage"].browse(vals["stage_id"])
        if stage.state == "closed":
            resolution = vals.get("resolution_type")
            missing = self.filtered(lambda c: not (resolution or c.resolution_type))
            if missing:
                raise UserError(
                    _(
                        "Choose a resolution type before closing %(complaints)s.",
                        complaints=", ".join(missing.mapped("name")),
                    )
                )
        reopened = self.filtered(
            lambda c: c.state in DONE_STATES and stage.state in OPEN_STATES
        )
        res = super().write(vals)
        if reopened:
            reopened._reopen()
        self._apply_stage_dates()
        return res

    def _subscribe_customer(self):
        for complaint in self:
            customer = complaint.contact_id or complaint.partner_id
            if customer:
                complaint.message_subscribe(partner_ids=customer.ids)

    def _on_identified(self):
        """A complaint waiting to be identified got its customer."""
        for complaint in self.filtered("partner_id"):
            if not complaint.user_id:
                owner = complaint.partner_id.relationship_owner_id
                if owner:
                    super(CrmRelationshipComplaint, complaint).write(
                        {"user_id": owner.id}
                    )
        self._subscribe_customer()
        return True

    def _apply_stage_dates(self):
        """Dates follow the stage: the first time each state is reached."""
        now = fields.Datetime.now()
        # one write per set of dates to fill, not one per complaint
        by_dates = defaultdict(lambda: self.browse())
        for complaint in self:
            state, dates = complaint.state, []
            if state != "new" and not complaint.date_acknowledged:
                dates.append("date_acknowledged")
            if state in ("resolved", "closed") and not complaint.date_resolved:
                dates.append("date_resolved")
            if state in ("closed", "rejected") and not complaint.date_closed:
                dates.append("date_closed")
            if dates:
                by_dates[tuple(dates)] |= complaint
        for dates, complaints in by_dates.items():
            super(CrmRelationshipComplaint, complaints).write(dict.fromkeys(dates, now))
        return True

    def _reopen(self):
        for complaint in self:
            super(CrmRelationshipComplaint, complaint).write(
                {
                    "date_resolved": False,
                    "date_closed": False,
                    "reopen_count": complaint.reopen_count + 1,
                    "customer_acceptance": "pending",
                    "resolve_warned": False,
                    "resolve_escalated": False,
                }
            )
            complaint.message_post(
                body=_("Complaint reopened."), subtype_xmlid="mail.mt_note"
            )
        return True

    # ------------------------------------------------------------------
    # Mail gateway
    # ------------------------------------------------------------------
    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A complaint from an e-mail sent to the complaints alias.

        Who may write to the alias is the alias' "Accept Emails From" setting
        (Settings > Relationships > Complaints by e-mail; Odoo bounces the
        others). Whoever wrote, the complaint is filed WITHOUT a customer: the
        From: address of an e-mail proves nothing, so the contact it matches
        is only proposed (``sender_partner_id``) and a staff member confirms
        it (:meth:`action_confirm_sender`) or sets the customer. Until then no
        portal user sees the complaint, no partner is created for the sender
        and nobody is subscribed. The reference comes from the sequence, the
        subject of the e-mail stays the subject.
        """
        self._check_complaint_user()
        values = dict(custom_values or {})
        for key in ("name", "partner_id", "contact_id", "sender_partner_id"):
            values.pop(key, None)
        author = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        values.update(
            {
                "channel": "email",
                "sender_partner_id": author.id,
                "email_from": msg_dict.get("email_from"),
            }
        )
        values.setdefault("subject", msg_dict.get("subject") or _("No subject"))
        values.setdefault("description", msg_dict.get("body"))
        return super().message_new(msg_dict, custom_values=values)

    def _alias_get_error(self, message, message_dict, alias):
        """ "Followers only": replies of followers, no new complaint by e-mail.

        Odoo treats a followers-only alias creating records as misconfigured
        (and disables it); for complaints it means that only the followers of
        a complaint write to it, new complaints come through the portal.
        """
        if alias.alias_contact == "followers" and not self.ids:
            return AliasError(
                "error_follower_not_following",
                _("new complaints are not accepted by e-mail"),
            )
        return super()._alias_get_error(message, message_dict, alias)

    def message_post(self, **kwargs):
        if self.env.context.get("from_alias"):
            # an incoming e-mail: its From: is unauthenticated, the sender does
            # not become a follower (followers get the staff's answers)
            self = self.with_context(mail_create_nosubscribe=True)
        return super().message_post(**kwargs)

    def _check_customer_files(self, attachments, attachment_ids, already=0):
        """Limits on the files a customer attaches to a message of a complaint.

        The portal form, the portal chatter (``/mail/message/post`` with
        uploaded files) and message edits go through here, so the limits are
        the same everywhere: :data:`CUSTOMER_MAX_ATTACHMENTS` files of at most
        :data:`CUSTOMER_MAX_ATTACHMENT_SIZE` bytes per message.
        """
        if self.env.user._is_internal():
            return
        # the files a customer may link: their own pending uploads (as Odoo
        # filters them in _process_attachments_for_post)
        pending = (
            self.env["ir.attachment"]
            .sudo()
            .browse(attachment_ids or [])
            .filtered(
                lambda a: (
                    a.res_model in ("mail.compose.message", "mail.scheduled.message")
                    and a.create_uid.id == self.env.uid
                )
            )
        )
        files = [(a.name, a.file_size) for a in pending] + [
            (item[0], len(item[1] or b""))
            for item in attachments or []
            if len(item) > 1
        ]
        self._check_customer_file_limits(files, already=already)

    @api.model
    def _check_customer_file_limits(self, files, already=0):
        """UserError unless the ``(name, size)`` of ``files`` (plus ``already``
        files of the message) are within the limits on customer files."""
        if len(files) + already > CUSTOMER_MAX_ATTACHMENTS:
            raise UserError(
                _(
                    "You can attach at most %(count)s files.",
                    count=CUSTOMER_MAX_ATTACHMENTS,
                )
            )
        for name, size in files:
            if size > CUSTOMER_MAX_ATTACHMENT_SIZE:
                raise UserError(
                    _(
                        "%(name)s is too large: files are limited to %(size)s MB.",
                        name=name,
                        size=CUSTOMER_MAX_ATTACHMENT_SIZE // (1024 * 1024),
                    )
                )

    def _process_attachments_for_post(
        self, attachments, attachment_ids, message_values
    ):
        self._check_customer_files(attachments, attachment_ids)
        return super()._process_attachments_for_post(
            attachments, attachment_ids, message_values
        )

    def _message_update_content(self, message, body, attachment_ids=None, **kwargs):
        if attachment_ids:
            # an edit adds files to those of the message
            self._check_customer_files(
                [], attachment_ids, already=len(message.sudo().attachment_ids)
            )
        return super()._message_update_content(
            message, body, attachment_ids=attachment_ids, **kwargs
        )

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        for complaint in self:
            customer = complaint.contact_id or complaint.partner_id
            if customer.email:
                complaint._message_add_suggested_recipient(
                    recipients, partner=customer, reason=_("Customer")
                )
        return recipients

    # ------------------------------------------------------------------
    # Service-level job
    # ------------------------------------------------------------------
    @api.model
    def _cron_check_sla(self, batch_size=200):
        """The scheduled action: :meth:`_sla_check`, reported when it fails.

        Returns the number of complaints processed, ``False`` when the run
        failed (the failure is recorded for the relationship administrators,
        see ``crm.relationship.job.failure``; the next run retries).
        """
        return self.env["crm.relationship.job.failure"]._run_cron_job(
            SLA_JOB,
            _("Complaint service levels"),
            lambda deadline: self._sla_check(batch_size=batch_size, deadline=deadline),
        )

    @api.model
    def _sla_check(self, batch_size=200, deadline=None):
        """Mark at-risk/breached complaints and escalate each breach once.

        Open complaints whose next warning or escalation is due are processed in
        batches; the flags make every warning and escalation happen once. Past
        ``deadline`` (``time.monotonic()``), the call stops after a whole batch
        and triggers the scheduled action again for the rest.
        """
        now = fields.Datetime.now()
        due = self.search(self._sla_due_domain(now), order="id")
        cron = self.env["ir.cron"]
        done = 0
        for start in range(0, len(due), batch_size):
            if start and deadline is not None and time.monotonic() > deadline:
                self.env["crm.relationship.job.failure"]._job_continue_later(
                    "crm_relationship.ir_cron_complaint_sla", done, len(due) - done
                )
                return done
            batch = due[start : start + batch_size]
            batch._sla_notify(now)
            done += len(batch)
            cron._notify_progress(done=done, remaining=len(due) - done)
            if self.env[
                "crm.relationship.job.failure"
            ]._auto_commit():  # pragma: no cover
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

    @api.model
    def _sla_due_domain(self, now):
        not_acked = [("date_acknowledged", "=", False)]
        acked = [("date_acknowledged", "!=", False)]
        return [
            ("state", "in", list(OPEN_STATES)),
            "|",
            "|",
            "|",
            "&",
            "&",
            *not_acked,
            ("acknowledge_warned", "=", False),
            ("acknowledge_risk_date", "<=", now),
            "&",
            "&",
            *not_acked,
            ("acknowledge_escalated", "=", False),
            ("acknowledge_deadline", "<", now),
            "&",
            "&",
            *acked,
            ("resolve_warned", "=", False),
            ("resolve_risk_date", "<=", now),
            "&",
            "&",
            *acked,
            ("resolve_escalated", "=", False),
            ("resolve_deadline", "<", now),
        ]

    def _sla_notify(self, now):
        self._compute_sla_status()
        for complaint in self:
            target = "resolve" if complaint.date_acknowledged else "acknowledge"
            deadline = complaint[f"{target}_deadline"]
            if deadline and now > deadline and not complaint[f"{target}_escalated"]:
                complaint._sla_escalate(target, deadline)
            elif not complaint[f"{target}_warned"]:
                complaint.sudo().write({f"{target}_warned": True})
                complaint.message_post(
                    body=_(
                        "Service level at risk: %(what)s is due by %(deadline)s.",
                        what=complaint._sla_target_label(target),
                        deadline=fields.Datetime.to_string(deadline),
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    def _sla_target_label(self, target):
        return _("acknowledgement") if target == "acknowledge" else _("resolution")

    def _sla_escalate(self, target, deadline):
        self.ensure_one()
        self.sudo().write({f"{target}_warned": True, f"{target}_escalated": True})
        self.message_post(
            body=_(
                "Service level breached: the %(what)s was due by %(deadline)s. "
                "Escalated.",
                what=self._sla_target_label(target),
                deadline=fields.Datetime.to_string(deadline),
            ),
            subtype_xmlid="mail.mt_note",
        )
        users = self.sla_policy_id._escalation_users() or self.user_id
        for user in users:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.context_today(self),
                summary=_("Escalated complaint %(name)s", name=self.name),
                note=_(
                    "The %(what)s deadline passed.", what=self._sla_target_label(target)
                ),
                user_id=user.id,
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _check_complaint_user(self):
        """Workflow methods are for relationship users (the system in sudo).

        Portal customers act only through the portal routes, which check the
        access first and then call the private ``_portal_*`` methods.
        """
        if not self.env.su and not self.env.user.has_group(USER_GROUP):
            raise AccessError(_("Only relationship users can handle complaints."))

    def _check_complaint_states(self, states, action):
        wrong = self.filtered(lambda c: c.state not in states)
        if wrong:
            raise UserError(
                _(
                    "%(action)s is not possible for %(complaints)s in this stage.",
                    action=action,
                    complaints=", ".join(wrong.mapped("name")),
                )
            )

    def _stage_for_state(self, state):
        return self.env["crm.relationship.complaint.stage"].search(
            [("state", "=", state)], limit=1
        )

    def action_acknowledge(self):
        self._check_complaint_user()
        self._check_complaint_states(("new",), _("Acknowledging"))
        return self.write({"stage_id": self._stage_for_state("acknowledged").id})

    def action_resolve(self):
        self._check_complaint_user()
        self._check_complaint_states(OPEN_STATES, _("Resolving"))
        return self.write({"stage_id": self._stage_for_state("resolved").id})

    def action_close(self):
        self._check_complaint_user()
        self._check_complaint_states(("resolved",), _("Closing"))
        return self.write({"stage_id": self._stage_for_state("closed").id})

    def action_reopen(self):
        self._check_complaint_user()
        self._check_complaint_states(DONE_STATES, _("Reopening"))
        return self.write({"stage_id": self._stage_for_state("in_progress").id})

    def action_escalate_dispute(self):
        """Next step of the dispute path: negotiation → … → litigation."""
        self._check_complaint_user()
        self._check_complaint_states(
            ("new", "acknowledged", "in_progress", "resolved"),
            _("Escalating the dispute"),
        )
        levels = [code for code, _label in DISPUTE_LEVELS]
        for complaint in self:
            index = levels.index(complaint.dispute_level)
            if index == len(levels) - 1:
                raise UserError(_("The dispute is already in litigation."))
            complaint.dispute_level = levels[index + 1]
        return True

    def action_confirm_sender(self):
        """File e-mailed complaints on the account of their sender's contact.

        A staff member confirms that the sender is who the address says (the
        gateway cannot): the customer becomes the sender's company, the sender
        its contact, and they follow the complaint from now on.
        """
        self._check_complaint_user()
        self.check_access("write")
        for complaint in self:
            sender = complaint.sender_partner_id
            if complaint.partner_id or not sender:
                raise UserError(
                    _(
                        "Complaint %(complaint)s has no sender to confirm.",
                        complaint=complaint.name,
                    )
                )
            customer = sender.commercial_partner_id
            complaint.write(
                {
                    "partner_id": customer.id,
                    "contact_id": sender.id if sender != customer else False,
                }
            )
            complaint.message_post(
                body=_(
                    "%(user)s confirmed that the e-mail came from %(sender)s.",
                    user=self.env.user.name,
                    sender=sender.display_name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    # ------------------------------------------------------------------
    # Portal
    # ------------------------------------------------------------------
    @api.model
    def _portal_fields(self):
        """Fields a customer may set when filing from the portal."""
        return {"category_id", "sale_order_line_id", "description", "subject"}

    @api.model
    def _portal_order_lines(self, order):
        """Lines of ``order`` a customer may complain about: its products."""
        return order.order_line.filtered(
            lambda line: not line.display_type and not line.is_downpayment
        )

    @api.model
    def _portal_file(self, order, form, partner, files=()):
        """File the complaint ``partner`` sends with the portal form on ``order``.

        ``form`` holds the text the customer typed or chose (the keys of
        :meth:`_portal_fields`, every other key is ignored): ``description``
        is plain text, ``category_id`` and ``sale_order_line_id`` ids as text;
        an unknown category is ignored. ``files`` are the uploaded files as
        ``(name, bytes)``; they are posted on the complaint, authored by the
        customer.

        ``order`` must be the partner's own order (checked by the caller and
        again here). Everything is checked before anything is created: on a
        UserError (shown to the customer) nothing is left behind.
        """
        customer = partner.commercial_partner_id
        if order.partner_id.commercial_partner_id != customer:
            raise UserError(_("You can only report a problem on your own orders."))
        form = {k: v for k, v in (form or {}).items() if k in self._portal_fields()}
        files = list(files or ())
        self._check_customer_file_limits([(name, len(data)) for name, data in files])
        description = form.get("description") or ""
        if len(description) > CUSTOMER_MAX_DESCRIPTION:
            raise UserError(
                _(
                    "Please keep the description under %(count)s characters.",
                    count=CUSTOMER_MAX_DESCRIPTION,
                )
            )
        if not description.strip():
            raise UserError(_("Please describe the problem."))
        line_id = _to_id(form.get("sale_order_line_id"))
        if line_id and line_id not in self._portal_order_lines(order).ids:
            raise UserError(_("This order line is not part of the order."))
        # one of the categories the form offers (active ones the customer may
        # read), else none: ids are compared, never sent to the database
        category_id = _to_id(form.get("category_id"))
        category = (
            self.env["crm.relationship.complaint.category"]
            .with_context(active_test=True)
            .search([])
            .filtered(lambda c: c.id == category_id)
        )
        vals = {
            "partner_id": customer.id,
            "contact_id": partner.id if partner != customer else False,
            "sale_order_id": order.id,
            "sale_order_line_id": line_id or False,
            "category_id": category.id,
            "subject": (form.get("subject") or "").strip()[:200]
            or _("Problem with order %(order)s", order=order.name),
            "description": plaintext2html(description),
            "channel": "portal",
            "company_id": order.company_id.id,
            "email_from": partner.email,
        }
        with self.env.cr.savepoint():
            complaint = self.sudo().with_company(order.company_id).create(vals)
            complaint._portal_post_files(files, partner)
        return complaint

    def _portal_post_files(self, files, partner):
        """Post ``files`` (``(name, bytes)``) on the complaint, by ``partner``.

        The attachments are created pending (on the composer, by the customer)
        as the portal chatter does; posting moves them to the complaint.
        """
        self.ensure_one()
        if not files:
            return
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                [
                    {
                        "name": name,
                        "raw": data,
                        "res_model": "mail.compose.message",
                        "res_id": 0,
                    }
                    for name, data in files
                ]
            )
        )
        self.sudo().message_post(
            body=_("Files sent with the complaint."),
            author_id=partner.id,
            attachment_ids=attachments.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _portal_accept_resolution(self, accepted):
        self.ensure_one()
        if self.state not in ("resolved", "closed"):
            raise UserError(_("The complaint has no resolution to accept yet."))
        if self.customer_acceptance != "pending":
            raise UserError(_("You already answered this resolution."))
        self.sudo().customer_acceptance = "yes" if accepted else "no"

    def _get_report_base_filename(self):
        self.ensure_one()
        return f"Complaint-{self.name}"
