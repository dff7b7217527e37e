from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_split, html2plaintext

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


class CrmRelationshipComplaint(models.Model):
    _name = "crm.relationship.complaint"
    _description = "Customer Complaint"
    _inherit = ["portal.mixin", "mail.thread.cc", "mail.activity.mixin"]
    _order = "priority_rank desc, date_received desc, id desc"
    _mail_post_access = "read"
    _primary_email = "email_from"

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="New"
    )
    subject = fields.Char(tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        ondelete="restrict",
        domain="[('parent_id', '=', False)]",
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
        SEVERITIES, required=True, default="normal", tracking=True
    )
    priority_rank = fields.Integer(compute="_compute_priority_rank", store=True)
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
    root_cause = fields.Text()
    corrective_action = fields.Text()
    preventive_action = fields.Text()
    resolution_type = fields.Selection(RESOLUTION_TYPES, tracking=True)
    resolution = fields.Text(
        string="Resolution Summary", help="What was done, as told to the customer."
    )
    compensation_amount = fields.Monetary(currency_field="currency_id")
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
        help="Negotiation, then mediation, arbitration and litigation.",
    )
    customer_acceptance = fields.Selection(
        [("pending", "Pending"), ("yes", "Accepted"), ("no", "Refused")],
        string="Customer Accepted",
        required=True,
        default="pending",
        tracking=True,
    )
    date_received = fields.Datetime(
        string="Received", required=True, default=fields.Datetime.now, index=True
    )
    date_acknowledged = fields.Datetime(string="Acknowledged", copy=False)
    date_resolved = fields.Datetime(string="Resolved", copy=False)
    date_closed = fields.Datetime(string="Closed", copy=False)
    reopen_count = fields.Integer(string="Reopened", copy=False, readonly=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.company,
    )
    color = fields.Integer()

    # service levels
    sla_policy_id = fields.Many2one(
        "crm.relationship.sla.policy",
        string="Service Level",
        compute="_compute_sla_policy_id",
        store=True,
        readonly=False,
        ondelete="set null",
    )
    acknowledge_deadline = fields.Datetime(
        compute="_compute_deadlines", store=True, string="Acknowledge By"
    )
    resolve_deadline = fields.Datetime(
        compute="_compute_deadlines", store=True, string="Resolve By"
    )
    acknowledge_risk_date = fields.Datetime(compute="_compute_deadlines", store=True)
    resolve_risk_date = fields.Datetime(compute="_compute_deadlines", store=True)
    sla_status = fields.Selection(
        SLA_STATUSES,
        string="SLA Status",
        compute="_compute_sla_status",
        store=True,
        index=True,
    )
    sla_compliance = fields.Float(
        string="SLA Compliance (%)",
        compute="_compute_sla_status",
        store=True,
        aggregator="avg",
        help="100 when the complaint met its service level, otherwise 0; its "
        "average over resolved complaints is the SLA compliance rate.",
    )
    time_to_acknowledge = fields.Float(
        string="Hours to Acknowledge",
        compute="_compute_times",
        store=True,
        aggregator="avg",
        help="Working hours between reception and acknowledgement.",
    )
    time_to_resolve = fields.Float(
        string="Hours to Resolve",
        compute="_compute_times",
        store=True,
        aggregator="avg",
        help="Working hours between reception and resolution.",
    )
    acknowledge_warned = fields.Boolean(copy=False, readonly=True)
    acknowledge_escalated = fields.Boolean(copy=False, readonly=True)
    resolve_warned = fields.Boolean(copy=False, readonly=True)
    resolve_escalated = fields.Boolean(copy=False, readonly=True)
    escalated = fields.Boolean(
        compute="_compute_escalated",
        store=True,
        tracking=True,
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
    @api.model_create_multi
    def create(self, vals_list):
        Partner = self.env["res.partner"]
        for vals in vals_list:
            if vals.get("partner_id"):
                # complaints belong to the commercial partner; keep the person
                partner = Partner.browse(vals["partner_id"])
                commercial = partner.commercial_partner_id
                if partner != commercial:
                    vals.setdefault("contact_id", partner.id)
                    vals["partner_id"] = commercial.id
                if not vals.get("user_id"):
                    vals["user_id"] = commercial.relationship_owner_id.id or False
            if vals.get("name", "New") == "New":
                vals["name"] = self.env["ir.sequence"].next_by_code(
                    "crm.relationship.complaint"
                ) or _("New")
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
        for complaint in complaints:
            customer = complaint.contact_id or complaint.partner_id
            complaint.message_subscribe(partner_ids=customer.ids)
        complaints._apply_stage_dates()
        return complaints

    def write(self, vals):
        if "stage_id" not in vals:
            return super().write(vals)
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
        """A complaint from an email sent to the complaints alias."""
        values = dict(custom_values or {})
        author = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        if not author:
            emails = email_split(msg_dict.get("email_from") or "")
            author = (
                self.env["res.partner"]
                .sudo()
                .find_or_create(
                    msg_dict.get("email_from") or (emails and emails[0]) or ""
                )
            )
        values.setdefault("partner_id", author.id)
        values.setdefault("subject", msg_dict.get("subject") or _("No subject"))
        values.setdefault("channel", "email")
        values.setdefault("email_from", msg_dict.get("email_from"))
        values.setdefault("description", msg_dict.get("body"))
        return super().message_new(msg_dict, custom_values=values)

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
        """Mark at-risk/breached complaints and escalate each breach once.

        Open complaints whose next warning or escalation is due are processed in
        batches; the flags make every warning and escalation happen once.
        """
        now = fields.Datetime.now()
        due = self.search(self._sla_due_domain(now), order="id")
        cron = self.env["ir.cron"]
        done = 0
        for start in range(0, len(due), batch_size):
            batch = due[start : start + batch_size]
            batch._sla_notify(now)
            done += len(batch)
            cron._notify_progress(done=done, remaining=len(due) - done)
            if self.env["res.partner"]._relationship_auto_commit():  # pragma: no cover
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
                complaint[f"{target}_warned"] = True
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
        self.write({f"{target}_warned": True, f"{target}_escalated": True})
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
    def _stage_for_state(self, state):
        return self.env["crm.relationship.complaint.stage"].search(
            [("state", "=", state)], limit=1
        )

    def action_acknowledge(self):
        self.write({"stage_id": self._stage_for_state("acknowledged").id})

    def action_resolve(self):
        self.write({"stage_id": self._stage_for_state("resolved").id})

    def action_close(self):
        self.write({"stage_id": self._stage_for_state("closed").id})

    def action_reopen(self):
        self.write({"stage_id": self._stage_for_state("in_progress").id})

    def action_escalate_dispute(self):
        """Next step of the dispute path: negotiation → … → litigation."""
        levels = [code for code, _label in DISPUTE_LEVELS]
        for complaint in self:
            index = levels.index(complaint.dispute_level)
            if index == len(levels) - 1:
                raise UserError(_("The dispute is already in litigation."))
            complaint.dispute_level = levels[index + 1]

    # ------------------------------------------------------------------
    # Portal
    # ------------------------------------------------------------------
    @api.model
    def _portal_fields(self):
        """Fields a customer may set when filing from the portal."""
        return {"category_id", "sale_order_line_id", "description", "subject"}

    @api.model
    def _portal_file(self, order, values, partner):
        """Create a complaint on ``order`` for the portal ``partner``.

        ``order`` must be the partner's own order (checked by the caller and
        again here); only :meth:`_portal_fields` are taken from ``values``.
        """
        customer = partner.commercial_partner_id
        if order.partner_id.commercial_partner_id != customer:
            raise UserError(_("You can only report a problem on your own orders."))
        clean = {k: v for k, v in values.items() if k in self._portal_fields()}
        description = html2plaintext(clean.get("description") or "").strip()
        if not description:
            raise UserError(_("Please describe the problem."))
        line_id = clean.get("sale_order_line_id")
        product_lines = order.order_line.filtered(
            lambda line: not line.display_type and not line.is_downpayment
        )
        if line_id and line_id not in product_lines.ids:
            raise UserError(_("This order line is not part of the order."))
        category = (
            self.env["crm.relationship.complaint.category"]
            .browse(clean.get("category_id") or [])
            .exists()
            .filtered("active")
        )
        vals = {
            "partner_id": customer.id,
            "contact_id": partner.id if partner != customer else False,
            "sale_order_id": order.id,
            "sale_order_line_id": line_id or False,
            "category_id": category.id,
            "subject": (clean.get("subject") or "").strip()[:200]
            or _("Problem with order %(order)s", order=order.name),
            "description": clean.get("description"),
            "channel": "portal",
            "company_id": order.company_id.id,
            "email_from": partner.email,
        }
        return self.sudo().with_company(order.company_id).create(vals)

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
