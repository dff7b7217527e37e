import json
import logging
import math
import operator as py_operator
import time
from datetime import timedelta

import numpy as np

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, clean_context, format_date, split_every

from .crm_relationship_complaint_stage import OPEN_STATES
from .crm_relationship_stage import REASON_PHASES, default_contact_activity_type

_logger = logging.getLogger(__name__)

STATS_FIELDS = (
    "relationship_first_order_date",
    "relationship_last_order_date",
    "relationship_order_count",
    "relationship_revenue_12m",
)
#: the order figures each company reads of its own orders (company-dependent)
FIGURE_FIELDS = STATS_FIELDS
#: relationship data set by people: who owns a customer and its value tier
#: (which sets the pricelist of new quotations) are decided by relationship
#: administrators, the stage lock by relationship users (all tracked)
MANAGER_FIELDS = frozenset(
    {"relationship_owner_id", "value_tier_id", "value_tier_locked"}
)
USER_FIELDS = frozenset({"relationship_stage_locked"})
RULES_JOB = "crm_relationship.rules"
USER_GROUP = "crm_relationship.crm_relationship_group_user"
MANAGER_GROUP = "crm_relationship.crm_relationship_group_manager"
KEEP_IN_TOUCH_JOB = "crm_relationship.keep_in_touch"
KEEP_IN_TOUCH_CRON = "crm_relationship.ir_cron_relationship_keep_in_touch"
#: summary of the job's activities, also searched untranslated
KEEP_IN_TOUCH_SUMMARY = "Keep in touch"
#: customers whose tier one write sets (_relationship_assign_tiers)
TIER_WRITE_CHUNK = 10_000
#: customers read at a time by _relationship_tier_rows
TIER_FETCH_CHUNK = 50_000
#: who reads the contact dates (they summarise messages and orders a plain
#: employee may not read) and sets "Do not contact"
CONTACT_GROUP = "crm_relationship.crm_relationship_group_user"
#: customers whose touches are read in one query by a search
SEARCH_CHUNK = 5000
SEARCH_OPERATORS = {
    "=": py_operator.eq,
    "!=": py_operator.ne,
    "<": py_operator.lt,
    "<=": py_operator.le,
    ">": py_operator.gt,
    ">=": py_operator.ge,
}


def _median_gap(day_gaps, same_day):
    """Median of the gaps in days between a customer's orders (PostgreSQL's
    ``percentile_cont(0.5)``), from the sorted gaps between its purchase days
    and the number of orders placed on a day already counted (0 days apart);
    ``None`` for fewer than two orders."""
    count = len(day_gaps) + same_day
    if not count:
        return None

    def at(k):
        return 0.0 if k < same_day else float(day_gaps[k - same_day])

    middle = (count - 1) / 2
    return (at(math.floor(middle)) + at(math.ceil(middle))) / 2


def id_array(ids):
    """``ids`` as an SQL ``int4[]`` (``= ANY(%s)``, ``unnest(%s)``) passed as
    one text parameter: psycopg2 adapts a list of ids one by one, which
    costs more than the query for the 100,000 customers of a nightly job."""
    return SQL("%s::int4[]", "{" + ",".join(map(str, ids)) + "}")


def _json_text(value):
    """A figure as JSON text for a ``jsonb`` parameter: the JSON text the
    statistics query returns goes through as it is."""
    if not value:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


class ResPartner(models.Model):
    _inherit = "res.partner"

    relationship_stage_id = fields.Many2one(
        "crm.relationship.stage",
        tracking=True,
        index=True,
        copy=False,
        ondelete="restrict",
        group_expand="_read_group_relationship_stage_ids",
        groups="base.group_user",
    )
    relationship_phase = fields.Selection(
        related="relationship_stage_id.phase", groups="base.group_user"
    )
    relationship_stage_date = fields.Datetime(
        string="In Stage Since", readonly=True, copy=False, groups="base.group_user"
    )
    relationship_stage_locked = fields.Boolean(
        string="Stage Locked",
        copy=False,
        tracking=True,
        help="The automatic rules do not move a locked customer.",
        groups="base.group_user",
    )
    value_tier_id = fields.Many2one(
        "crm.relationship.tier",
        tracking=True,
        index=True,
        copy=False,
        ondelete="restrict",
        groups="base.group_user",
    )
    value_tier_locked = fields.Boolean(
        string="Tier Locked",
        copy=False,
        tracking=True,
        help="The automatic tier assignment does not change a locked tier.",
        groups="base.group_user",
    )
    relationship_owner_id = fields.Many2one(
        "res.users",
        compute="_compute_relationship_owner_id",
        store=True,
        readonly=False,
        ondelete="set null",
        tracking=True,
        groups="base.group_user",
    )
    # order figures are per company (a customer shared by several companies
    # shows each company its own orders): company-dependent, written by the
    # stage rules for every company at once
    relationship_first_order_date = fields.Date(
        string="First Order",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups="base.group_user",
    )
    relationship_last_order_date = fields.Date(
        string="Last Order",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups="base.group_user",
    )
    relationship_order_count = fields.Integer(
        string="Confirmed Orders",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups="base.group_user",
    )
    relationship_revenue_12m = fields.Float(
        string="Revenue 12 Months",
        readonly=True,
        copy=False,
        company_dependent=True,
        groups="base.group_user",
        help="Confirmed sales of the last 12 months to this company, in its "
        "currency, net of posted refunds.",
    )
    relationship_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_relationship_currency_id",
        groups="base.group_user",
    )
    relationship_history_ids = fields.One2many(
        "crm.relationship.stage.history",
        "partner_id",
        string="Stage History",
        groups="base.group_user",
    )

    complaint_ids = fields.One2many(
        "crm.relationship.complaint",
        "partner_id",
        string="Complaints",
        groups="base.group_user",
    )
    complaint_count = fields.Integer(
        compute="_compute_complaint_stats", groups="base.group_user"
    )
    complaint_open_count = fields.Integer(
        compute="_compute_complaint_stats",
        string="Open Complaints",
        groups="base.group_user",
    )
    complaint_rate = fields.Float(
        compute="_compute_complaint_stats",
        help="Complaints received in the last 12 months per confirmed order of the "
        "same period.",
        groups="base.group_user",
    )

    @api.depends("complaint_ids", "relationship_order_count")
    def _compute_complaint_stats(self):
        partners = self.commercial_partner_id
        Complaint = self.env["crm.relationship.complaint"]
        if not partners.ids or not Complaint.has_access("read"):
            self.update(
                {"complaint_count": 0, "complaint_open_count": 0, "complaint_rate": 0}
            )
            return
        since = fields.Datetime.now() - timedelta(days=365)
        domain = [("partner_id", "in", partners.ids)]
        total = dict(Complaint._read_group(domain, ["partner_id"], ["__count"]))
        open_ = dict(
            Complaint._read_group(
                domain + [("state", "in", list(OPEN_STATES))],
                ["partner_id"],
                ["__count"],
            )
        )
        recent = dict(
            Complaint._read_group(
                domain + [("date_received", ">=", since)], ["partner_id"], ["__count"]
            )
        )
        orders = dict(
            self.env["sale.order"]
            .sudo()
            ._read_group(
                [
                    ("partner_id.commercial_partner_id", "in", partners.ids),
                    ("state", "=", "sale"),
                    ("date_order", ">=", since),
                    ("company_id", "in", self.env.companies.ids),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        orders_by_customer = {}
        for contact, count in orders.items():
            key = contact.commercial_partner_id
            orders_by_customer[key] = orders_by_customer.get(key, 0) + count
        for partner in self:
            customer = partner.commercial_partner_id
            partner.complaint_count = total.get(customer, 0)
            partner.complaint_open_count = open_.get(customer, 0)
            n_orders = orders_by_customer.get(customer, 0)
            partner.complaint_rate = (
                recent.get(customer, 0) / n_orders if n_orders else 0.0
            )

    def action_view_complaints(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_complaint_action"
        )
        customer = self.commercial_partner_id
        action["domain"] = [("partner_id", "=", customer.id)]
        action["context"] = {"default_partner_id": customer.id}
        return action

    @api.depends("user_id")
    def _compute_relationship_owner_id(self):
        for partner in self:
            if not partner.relationship_owner_id:
                partner.relationship_owner_id = partner.user_id

    @api.depends_context("company")
    def _compute_relationship_currency_id(self):
        self.relationship_currency_id = self.env.company.currency_id

    @api.model
    def _read_group_relationship_stage_ids(self, stages, domain):
        return stages.search([], order=stages._order)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        """A new commercial partner is placed in the prospect stage, unless
        its values say where: ``relationship_stage_id`` (a stage, through the
        checks of :meth:`_relationship_set_stage`, or ``False``: no stage, the
        rules will place it)."""
        for vals in vals_list:
            self._relationship_check_system_write(vals)
        given = ["relationship_stage_id" in vals for vals in vals_list]
        stages = [vals.pop("relationship_stage_id", None) for vals in vals_list]
        partners = super().create(vals_list)
        asked = {}
        for partner, stage_id in zip(partners, stages, strict=True):
            if stage_id:
                asked.setdefault(stage_id, []).append(partner.id)
        for stage_id, ids in asked.items():
            self.browse(ids)._relationship_set_stage(
                self.env["crm.relationship.stage"].browse(stage_id)
            )
        newcomers = self.browse(
            [
                partner.id
                for partner, placed in zip(partners, given, strict=True)
                if not placed and not partner.parent_id
            ]
        )
        prospect = newcomers and self.env[
            "crm.relationship.stage"
        ].sudo()._stage_for_phase("prospect")
        if prospect:
            # a first placement is recorded in the history, not in the chatter
            newcomers._relationship_set_stage(prospect, automatic=True, track=False)
        return partners

    def write(self, vals):
        self._relationship_check_system_write(vals)
        if "relationship_stage_id" not in vals:
            return super().write(vals)
        vals = dict(vals)
        stage = self.env["crm.relationship.stage"].browse(
            vals.pop("relationship_stage_id")
        )
        res = super().write(vals) if vals else True
        # a stage written by hand goes through the same checks as the wizard
        self._relationship_set_stage(stage)
        return res

    # ------------------------------------------------------------------
    # System-owned figures
    # ------------------------------------------------------------------
    @api.model
    def _relationship_system_fields(self):
        """Fields of the partner that the system computes.

        Users read them; the jobs write them (in sudo or by SQL); a
        relationship administrator may correct them, and the correction is
        posted on the customer. Extended by the scoring and survey addons.
        """
        return set(STATS_FIELDS) | {"relationship_stage_date"}

    def _relationship_fixed_fields(self):
        """System fields nobody corrects by hand, administrators included
        (figures read from a table of their own, such as the scores of
        crm_relationship_scoring); none in the base addon."""
        return set()

    def _relationship_check_system_write(self, vals):
        """Refuse a user's write of system-computed fields (see
        :meth:`_relationship_system_fields`); post an administrator's
        correction on each customer. A context key never lifts the check: only
        code running as superuser (``sudo()``) writes them silently."""
        if self.env.su:
            return
        user = self.env.user
        if USER_FIELDS & set(vals) and not user.has_group(USER_GROUP):
            raise AccessError(_("Only relationship users can lock a customer's stage."))
        # relationship users set "Do not contact" (with Odoo's write right on
        # the contact, like any other field of it); other users do not
        if (
            "relationship_no_contact" in vals
            and (self or vals["relationship_no_contact"])
            and not user.has_group(CONTACT_GROUP)
        ):
            raise AccessError(
                _("Only relationship users can mark a customer as not to contact.")
            )
        managed = MANAGER_FIELDS & set(vals)
        if not self:  # creation: empty values are the defaults
            managed = {name for name in managed if vals[name]}
        if managed and not user.has_group(MANAGER_GROUP):
            # the owner of a customer nobody owns yet (a new contact, or the
            # salesperson set on a contact without owner) is not a change
            if "relationship_owner_id" in managed and not self.filtered(
                "relationship_owner_id"
            ):
                managed.discard("relationship_owner_id")
            if managed:
                raise AccessError(
                    _(
                        "Only relationship administrators can change the owner "
                        "or the value tier of a customer."
                    )
                )
        fixed = self._relationship_fixed_fields() & set(vals)
        if fixed:
            raise AccessError(
                _(
                    "%(fields)s are computed by the system and cannot be changed "
                    "by hand, not even by an administrator: they are recomputed "
                    "from the orders every night.",
                    fields=", ".join(
                        sorted(
                            self._fields[name].get_description(self.env)["string"]
                            for name in fixed
                        )
                    ),
                )
            )
        protected = self._relationship_system_fields() & set(vals)
        if not protected:
            return
        labels = ", ".join(
            sorted(
                self._fields[name].get_description(self.env)["string"]
                for name in protected
            )
        )
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _(
                    "%(fields)s are computed by the system and cannot be changed "
                    "by hand.",
                    fields=labels,
                )
            )
        for partner in self:
            partner.sudo().message_post(
                body=_(
                    "%(user)s corrected figures computed by the system: %(fields)s.",
                    user=self.env.user.name,
                    fields=labels,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _compute_relationship_referral_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("relationship_referred_by_id", "in", self.ids)],
                ["relationship_referred_by_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.relationship_referral_count = counts.get(partner, 0)

    @api.constrains("relationship_referred_by_id")
    def _check_relationship_referred_by_id(self):
        for partner in self:
            if partner.relationship_referred_by_id == partner:
                raise ValidationError(_("A customer cannot refer themselves."))

    # ------------------------------------------------------------------
    # Stage changes
    # ------------------------------------------------------------------
    def _relationship_set_stage(
        self, stage, reason=None, note=None, lock=None, automatic=False, track=True
    ):
        """Move the partners of ``self`` to ``stage``: the one way stages change.

        Used by the wizard, the kanban drop, a stage written by hand and the
        automatic rules. A manual move (``automatic=False``) needs a
        relationship user and, for a stage that asks for it, a ``reason``
        (``crm.relationship.reason``). ``lock`` sets the stage lock. A move is
        written as superuser once checked, recorded in the stage history and,
        with ``track``, in the chatter. Returns the history rows created.
        """
        stage = stage.sudo().exists() if stage else stage
        if not automatic and not self.env.su:
            if not self.env.user.has_group(USER_GROUP):
                raise AccessError(
                    _("Only relationship users can change a customer's stage.")
                )
            self.check_access("read")
            if stage and self._relationship_reason_required(stage) and not reason:
                raise UserError(
                    _(
                        "Moving a customer to %(stage)s needs a reason: use the "
                        "'Change Stage' button of the customer.",
                        stage=stage.name,
                    )
                )
        moves = {
            p: p.relationship_stage_id
            for p in self.sudo()
            if p.relationship_stage_id != stage
        }
        partners = self.sudo()
        if not track:
            partners = partners.with_context(tracking_disable=True)
        vals = {}
        if lock is not None:
            vals["relationship_stage_locked"] = bool(lock)
        if vals:
            super(ResPartner, partners).write(vals)
        if not moves:
            return self.env["crm.relationship.stage.history"]
        moved = partners.browse([p.id for p in moves])
        values = {
            "relationship_stage_id": stage.id if stage else False,
            "relationship_stage_date": stage and fields.Datetime.now(),
        }
        if automatic and track:
            # the rules move hundreds of customers a night: their chatter
            # messages are logged in one batch (_relationship_write_logged)
            moved._relationship_write_logged(
                values,
                # the write of mail.thread and below (not this class's, which
                # sends a stage through this method)
                lambda records: super(ResPartner, records).write(values),  # noqa: UP008
            )
        else:
            super(ResPartner, moved).write(values)
        if not stage:
            return self.env["crm.relationship.stage.history"]
        return moved._relationship_record_moves(
            moves, stage, automatic, reason=reason, note=note
        )

    def _relationship_write_logged(self, vals, write=None):
        """``write(vals)`` on the partners of ``self`` with the chatter
        tracking of Odoo (``mail.thread``: the tracked fields that changed,
        as tracking values of a note by the current user), logged in one
        batch of messages right after the write instead of one message per
        partner at commit: for the jobs, which move hundreds of customers at
        once. ``write``: the write to call (``records.write`` by default).

        The write is tracked by Odoo as any write (the initial values of
        every tracked field, nested writes included); the notes of these
        partners are then made from Odoo's initial values at once, as
        Odoo's commit would make them (a change with a tracking subtype is
        posted as Odoo posts it), and taken out of Odoo's tracking. Odoo's
        own tracking is kept for partners it already tracks in the
        transaction (a change made before, a discarded tracking, an author
        or a message set for it): their one message at commit holds this
        change too. The note comes right after the write, before what the
        caller does next (a later tracked change in the same transaction
        gets a message of its own), and the notes of one batch share their
        Message-Id, as Odoo's batch logs do."""
        write = write or (lambda records: records.write(vals))
        context = self.env.context
        if (
            not self
            or not set(vals) & set(self._track_get_fields())
            or context.get("tracking_disable")
            or context.get("mail_notrack")
        ):
            return write(self)
        data = self.env.cr.precommit.data
        key = f"mail.tracking.{self._name}"
        if any(
            pid in data.get(f"mail.tracking{kind}.{self._name}", {})
            for kind in ("", ".author", ".message")
            for pid in self.ids
        ):
            return write(self)
        result = write(self)
        prepared = data.get(key, {})
        initial = {pid: prepared.pop(pid) for pid in self.ids if prepared.get(pid)}
        if not initial:
            return result
        records = self.browse(list(initial)).sudo().with_context(clean_context(context))
        tracked_fields = records.fields_get(
            sorted(set().union(*initial.values())),
            attributes=("string", "type", "selection", "currency_field"),
        )
        trackings = {}
        for partner in records:
            changes, tracking_values = partner._mail_track(
                tracked_fields, initial[partner.id]
            )
            if not changes:
                continue
            subtype = partner._track_subtype(
                {name: initial[partner.id][name] for name in changes}
            )
            if subtype and subtype.exists():
                partner.message_post(
                    body=partner._track_get_default_log_message(changes),
                    subtype_id=subtype.id,
                    tracking_value_ids=tracking_values,
                )
            elif tracking_values and not subtype:
                trackings[partner.id] = (changes, tracking_values)
            partner._message_track_post_template(changes)
        logged = records.browse(list(trackings))
        if logged:
            messages = logged._message_log_batch(
                {
                    partner.id: partner._track_get_default_log_message(
                        trackings[partner.id][0]
                    )
                    for partner in logged
                }
            )
            records.env["mail.tracking.value"].create(
                [
                    dict(command[2], mail_message_id=message.id)
                    for partner, message in zip(logged, messages, strict=True)
                    for command in trackings[partner.id][1]
                ]
            )
        return result

    def _relationship_record_moves(
        self, moves, stage, automatic, reason=None, note=None
    ):
        """History rows and playbook activities for partners entering ``stage``.

        A move's history row is created through the ORM; the rows of first
        placements (partners without a stage yet: every customer on the first
        run of the rules, which is not an event to act on) are inserted in
        one statement (:meth:`_relationship_insert_placements`)."""
        now = fields.Datetime.now()
        placed = self.filtered(lambda partner: not moves[partner])
        History = self.env["crm.relationship.stage.history"].sudo()
        history = History.create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": (partner.company_id or self.env.company).id,
                    "from_stage_id": moves[partner].id,
                    "to_stage_id": stage.id,
                    "date": now,
                    "user_id": self.env.uid,
                    "automatic": automatic,
                    "reason_id": reason.id if reason else False,
                    "note": note,
                }
                for partner in self - placed
            ]
        )
        if placed:
            history |= placed._relationship_insert_placements(
                stage, now, automatic, reason, note
            )
        # a first placement (existing customers placed at install or by the
        # first run of the rules) is not an event to act on: no playbook, no
        # transition
        moved = history.filtered("from_stage_id")
        if stage.activity_type_id:
            moved._relationship_schedule_playbook()
        self.env["crm.relationship.transition"]._transition_create(
            [
                {
                    "partner_id": entry.partner_id.id,
                    "kind": "stage",
                    "from_stage_id": entry.from_stage_id.id,
                    "to_stage_id": stage.id,
                    "automatic": automatic,
                    "date": now,
                }
                for entry in moved
            ]
        )
        return history

    def _relationship_insert_placements(self, stage, date, automatic, reason, note):
        """The history rows of the first placement of the partners of ``self``
        in ``stage`` (no stage before), as the system: the values
        :meth:`_relationship_record_moves` gives a move's row, inserted with
        one statement instead of one ORM create per customer (a first run
        places every customer). Returns the rows."""
        self.flush_recordset(["company_id"])
        History = self.env["crm.relationship.stage.history"].sudo()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_relationship_stage_history
                       (partner_id, company_id, to_stage_id, date, user_id,
                        automatic, reason_id, note, activity_scheduled,
                        create_uid, create_date, write_uid, write_date)
                SELECT p.id, COALESCE(p.company_id, %(company)s), %(stage)s,
                       %(date)s, %(uid)s, %(automatic)s, %(reason)s, %(note)s,
                       FALSE, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM res_partner p
                 WHERE p.id = ANY(%(ids)s)
                 ORDER BY p.id
                RETURNING id
                """,
                company=self.env.company.id,
                stage=stage.id,
                date=date,
                uid=self.env.uid,
                automatic=bool(automatic),
                reason=reason.id if reason else None,
                note=note or None,
                now=fields.Datetime.now(),
                ids=id_array(self.ids),
            )
        )
        rows = History.browse([row_id for (row_id,) in self.env.cr.fetchall()])
        self.invalidate_recordset(["relationship_history_ids"])
        return rows

    # ------------------------------------------------------------------
    # Automatic rules
    # ------------------------------------------------------------------
    @api.model
    def _relationship_order_facts_query(self, condition):
        """The order facts every figure of the suite is computed from: one
        row per customer (commercial partner, with its own company), company
        and order day of the confirmed orders of
        :meth:`_relationship_order_rows_query` (``condition``), with the
        day's amount untaxed in company currency and its number of orders,
        the time of its last order, the mean days its orders took from
        creation (the quotation) to confirmation, and the amount of its
        orders on a pricelist that gives a discount
        (:meth:`_relationship_discounted_pricelists_query`). Amounts are
        computed in floating point (``float8``, as every figure computed from
        them: numeric arithmetic over every order would cost more than the
        rest of the aggregate).

        The stage statistics of this addon aggregate these rows in the
        database; the scoring job of crm_relationship_scoring reads the same
        order rows once per pass (a binary COPY) and aggregates them the same
        way in numpy (``Facts.from_orders``, tested equal to this query),
        then computes every per-customer figure from the facts; each addon
        writes its own columns.
        """
        return SQL(
            """
            SELECT o.partner_id, o.partner_company_id, o.company_id,
                   o.date_order::date AS day,
                   SUM(o.amount) AS amount,
                   COUNT(*) AS orders,
                   MAX(o.date_order) AS last_at,
                   AVG(GREATEST(date_part('epoch', o.date_order - o.create_date),
                                0)) / 86400.0 AS choosing,
                   COALESCE(SUM(o.amount) FILTER (WHERE o.pricelist_id IN (%s)),
                            0) AS discounted_amount
              FROM (%s) o
             GROUP BY o.partner_id, o.partner_company_id, o.company_id,
                      o.date_order::date
            """,
            self._relationship_discounted_pricelists_query(),
            self._relationship_order_rows_query(condition),
        )

    @api.model
    def _relationship_order_rows_query(self, condition):
        """The confirmed orders the order facts are made of, one row per
        order matching ``condition`` (an SQL condition on ``so``, the sale
        order, and ``cp``, its commercial partner): the customer (commercial
        partner) and its own company, the order's company, date and creation
        time, its amount untaxed in company currency (``float8``) and its
        pricelist."""
        return SQL(
            """
            SELECT cp.id AS partner_id,
                   cp.company_id AS partner_company_id,
                   so.company_id,
                   so.date_order,
                   so.amount_untaxed::float8
                       -- most orders are in the company's currency: their
                       -- rate is not converted (a tenth of the whole read)
                       / CASE WHEN so.currency_rate = 1 THEN 1.0::float8
                              ELSE COALESCE(NULLIF(so.currency_rate, 0), 1.0)::float8
                         END
                       AS amount,
                   so.create_date,
                   so.pricelist_id
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
              JOIN res_partner cp ON cp.id = p.commercial_partner_id
             WHERE so.state = 'sale' AND %s
            """,
            condition,
        )

    @api.model
    def _relationship_discounted_pricelists_query(self):
        """The pricelists that give a discount (a percentage or a formula
        discount): the orders on them are bought on discount."""
        return SQL(
            """
            SELECT pricelist_id FROM product_pricelist_item
             WHERE (compute_price = 'percentage' AND percent_price > 0)
                OR (compute_price = 'formula' AND price_discount > 0)
            """
        )

    @api.model
    def _relationship_flush_orders(self):
        self.env["sale.order"].flush_model(
            [
                "state",
                "date_order",
                "create_date",
                "pricelist_id",
                "amount_untaxed",
                "currency_rate",
                "partner_id",
                "company_id",
            ]
        )
        self.env["product.pricelist.item"].flush_model(
            ["pricelist_id", "compute_price", "percent_price", "price_discount"]
        )
        self.env["account.move"].flush_model(
            [
                "move_type",
                "state",
                "company_id",
                "invoice_date",
                "commercial_partner_id",
                "amount_untaxed_signed",
            ]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id", "company_id"])

    @api.model
    def _relationship_customer_stats_query(self, days, since, ids=None):
        """Per-customer order statistics from ``days``, rows of
        :meth:`_relationship_order_facts_query` (SQL): one row per customer
        with orders, posted refunds since ``since`` or open quotations.

        Refunds and quotations are read for the partners ``ids`` (a list) or,
        without, for the customers of ``days``. See
        :meth:`_relationship_fetch_stats` for the columns.
        """
        if ids is None:
            among = SQL("IN (SELECT partner_id FROM days)")
        else:
            among = SQL("= ANY(%s)", list(ids))
        return SQL(
            """
            WITH days AS (%(days)s
            ), per_day AS (
                SELECT partner_id, day, SUM(orders)::int AS orders
                  FROM days
                 GROUP BY partner_id, day
            ), gaps AS (
                SELECT partner_id, orders,
                       (day - LAG(day) OVER (
                           PARTITION BY partner_id ORDER BY day))::float8 AS gap_days
                  FROM per_day
            ), gap AS (
                -- the days between purchase days, sorted, and how many orders
                -- fell on a day already counted (0 days apart)
                SELECT partner_id,
                       ARRAY_AGG(gap_days ORDER BY gap_days)
                           FILTER (WHERE gap_days IS NOT NULL) AS day_gaps,
                       SUM(orders) - COUNT(*) AS same_day
                  FROM gaps
                 GROUP BY partner_id
            ), agg AS (
                SELECT partner_id,
                       MIN(day) AS first_date,
                       MAX(day) AS last_date,
                       SUM(orders)::int AS order_count
                  FROM days
                 GROUP BY partner_id
            ), by_company AS (
                SELECT partner_id, company_id,
                       MIN(day) AS first_date,
                       MAX(day) AS last_date,
                       SUM(orders)::int AS order_count,
                       COALESCE(SUM(amount) FILTER (WHERE day >= %(since)s), 0)
                           AS revenue
                  FROM days
                 GROUP BY partner_id, company_id
            ), refunds AS (
                SELECT am.commercial_partner_id AS partner_id, am.company_id,
                       SUM(am.amount_untaxed_signed) AS refunded
                  FROM account_move am
                 WHERE am.move_type = 'out_refund'
                   AND am.state = 'posted'
                   AND am.invoice_date >= %(since)s
                   AND am.commercial_partner_id %(among)s
                 GROUP BY am.commercial_partner_id, am.company_id
            ), net AS (
                SELECT COALESCE(bc.partner_id, rf.partner_id) AS partner_id,
                       COALESCE(bc.company_id, rf.company_id) AS company_id,
                       bc.first_date, bc.last_date,
                       COALESCE(bc.order_count, 0) AS order_count,
                       GREATEST(
                           COALESCE(bc.revenue, 0) + COALESCE(rf.refunded, 0), 0
                       ) AS revenue
                  FROM by_company bc
                  FULL JOIN refunds rf
                    ON rf.partner_id = bc.partner_id
                   AND rf.company_id = bc.company_id
            ), figures AS (
                SELECT partner_id,
                       SUM(revenue) AS revenue,
                       jsonb_object_agg(company_id::text, first_date)
                           FILTER (WHERE first_date IS NOT NULL) AS first_json,
                       jsonb_object_agg(company_id::text, last_date)
                           FILTER (WHERE last_date IS NOT NULL) AS last_json,
                       jsonb_object_agg(company_id::text, order_count)
                           FILTER (WHERE order_count > 0) AS count_json,
                       -- rounded to 6 decimals, as the scoring job's figures
                       -- computed in floating point (engine/facts.py)
                       jsonb_object_agg(company_id::text,
                                        ROUND(revenue::numeric, 6)::float8)
                           FILTER (WHERE revenue > 0) AS revenue_json
                  FROM net
                 GROUP BY partner_id
            ), quotes AS (
                SELECT p.commercial_partner_id AS partner_id, COUNT(*) AS quotations
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state IN ('draft', 'sent')
                   AND p.commercial_partner_id %(among)s
                 GROUP BY p.commercial_partner_id
            )
            SELECT COALESCE(figures.partner_id, quotes.partner_id) AS partner_id,
                   agg.first_date, agg.last_date,
                   COALESCE(agg.order_count, 0) AS order_count,
                   gap.day_gaps, gap.same_day,
                   COALESCE(figures.revenue, 0) AS revenue,
                   COALESCE(quotes.quotations, 0) AS quotations,
                   figures.first_json, figures.last_json,
                   figures.count_json, figures.revenue_json
              FROM figures
              FULL JOIN quotes ON quotes.partner_id = figures.partner_id
              LEFT JOIN agg ON agg.partner_id = figures.partner_id
              LEFT JOIN gap ON gap.partner_id = figures.partner_id
            """,
            days=days,
            since=since,
            among=among,
        )

    def _relationship_fetch_stats(self, today=None, facts=None):
        """Order statistics of commercial partners, in one SQL statement.

        Returns ``{partner_id: dict(first, last, count, median_gap, revenue,
        quotations, stage_id, locked, company_id, figures)}``. The first keys
        sum the customer's confirmed orders in every company (the lifecycle
        stage follows the whole relationship): dates as ``date``, the median
        gap in days between confirmed orders (orders of the same day are 0
        days apart) and the revenue of the 12 months before ``today``.
        ``figures`` holds what each company reads of its own orders
        (company-dependent fields): ``{field: json text}``, a JSON object by
        company id of the first and last order dates, the number of confirmed
        orders and the revenue of the 12 months in that company's currency,
        net of its posted refunds (never below zero: refunds of older
        purchases do not make a customer cost money).

        The statistics are computed by
        :meth:`_relationship_customer_stats_query` from
        :meth:`_relationship_order_facts_query`, or from ``facts``, the name
        of a table holding those facts for at least these partners. The stage,
        its lock and the company are read from the partners. (The scoring job
        computes the same statistics for a whole company in numpy from the
        same order facts.)
        """
        today = today or fields.Date.context_today(self)
        self._relationship_flush_orders()
        self.env["res.partner"].flush_model(
            ["relationship_stage_id", "relationship_stage_locked"]
        )
        ids = list(self.ids)
        if facts:
            days = SQL(
                "SELECT * FROM %s WHERE partner_id = ANY(%s)",
                SQL.identifier(facts),
                ids,
            )
        else:
            days = self._relationship_order_facts_query(
                SQL("p.commercial_partner_id = ANY(%s)", ids)
            )
        source = SQL(
            "(%s)",
            self._relationship_customer_stats_query(
                days, today - timedelta(days=365), ids
            ),
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT ids.id, st.first_date, st.last_date,
                       COALESCE(st.order_count, 0), st.day_gaps, st.same_day,
                       COALESCE(st.revenue, 0), COALESCE(st.quotations, 0),
                       rp.relationship_stage_id, rp.relationship_stage_locked,
                       rp.company_id,
                       st.first_json::text, st.last_json::text,
                       st.count_json::text, st.revenue_json::text
                  FROM unnest(%s::int[]) AS ids(id)
                  JOIN res_partner rp ON rp.id = ids.id
                  LEFT JOIN %s AS st ON st.partner_id = ids.id
                """,
                ids,
                source,
            )
        )
        return {
            row[0]: {
                "first": row[1],
                "last": row[2],
                "count": row[3],
                "median_gap": _median_gap(row[4] or [], int(row[5] or 0)),
                "revenue": float(row[6] or 0.0),
                "quotations": row[7],
                "stage_id": row[8],
                "locked": bool(row[9]),
                "company_id": row[10],
                "figures": {
                    "relationship_first_order_date": row[11],
                    "relationship_last_order_date": row[12],
                    "relationship_order_count": row[13],
                    "relationship_revenue_12m": row[14],
                },
            }
            for row in self.env.cr.fetchall()
        }

    @api.model
    def _relationship_figure_columns(self, stats, ids):
        """The company-dependent order figures of ``ids`` as JSON texts, one
        list per field, for an ``UPDATE ... FROM unnest(...)``."""
        return {
            name: [_json_text(stats[pid]["figures"][name]) for pid in ids]
            for name in FIGURE_FIELDS
        }

    @api.model
    def _relationship_target_phases(self, rules, company, today):
        """The lifecycle phase the behaviour of many customers of ``company``
        calls for, on arrays (one value per customer).

        ``rules`` (see :meth:`_relationship_rule_columns`): ``count`` (confirmed
        orders), ``quotations`` (open quotations), ``first`` and ``last``
        (first and last order day, as day ordinals; any value without orders),
        ``median_gap`` (days, NaN when unknown); ``company`` carries the
        thresholds. Returns an array of phases (``prospect``, ``exploration``,
        ``formation``, ``stability``, ``decline``, ``churned``). Overridable on
        arrays (the scoring addon refines it with P(alive)).
        """
        count = np.asarray(rules["count"], dtype=np.int64)
        quotations = np.asarray(rules["quotations"], dtype=np.int64)
        first = np.asarray(rules["first"], dtype=np.int64)
        last = np.asarray(rules["last"], dtype=np.int64)
        median_gap = np.asarray(rules["median_gap"], dtype=np.float64)
        idle = today.toordinal() - last
        # the decline limit: the customer's own rhythm once it is known
        rhythm = (count >= 2) & (median_gap > 0)
        limit = np.where(
            rhythm,
            company.relationship_decline_factor * np.where(rhythm, median_gap, 0.0),
            company.relationship_decline_days,
        )
        phases = np.full(len(count), "formation", dtype=object)
        phases[
            (count >= company.relationship_stability_min_orders)
            & (last - first >= company.relationship_stability_min_days)
        ] = "stability"
        phases[idle > np.maximum(limit, 1)] = "decline"
        phases[idle > company.relationship_churn_days] = "churned"
        phases[count == 0] = np.where(
            quotations[count == 0] > 0, "exploration", "prospect"
        )
        return phases

    @api.model
    def _relationship_rule_columns(self, stats, ids):
        """The values of ``stats`` (:meth:`_relationship_fetch_stats`) of the
        partners ``ids`` as the arrays :meth:`_relationship_target_phases`
        reads."""
        values = [stats[pid] for pid in ids]
        return {
            "count": [v["count"] for v in values],
            "quotations": [v["quotations"] for v in values],
            "first": [v["first"].toordinal() if v["first"] else 0 for v in values],
            "last": [v["last"].toordinal() if v["last"] else 0 for v in values],
            "median_gap": [
                np.nan if v["median_gap"] is None else v["median_gap"] for v in values
            ],
            **{
                key: [v[key] for v in values]
                for key in ("stage_id", "locked", "company_id")
            },
        }

    def _relationship_apply_rules(self, today=None):
        """Refresh order statistics and move unlocked customers (batched).

        Works on the commercial partners of ``self``: one SQL aggregate, one
        UPDATE for the statistics, one write per target stage.
        """
        partners = self.commercial_partner_id
        if not partners:
            return {}
        today = today or fields.Date.context_today(self)
        stats = partners._relationship_fetch_stats(today)
        rules = partners._relationship_rule_columns(stats, partners.ids)
        # the first placements are written with the figures (one row version)
        first = partners._relationship_first_stages(rules, today)
        placed = partners._relationship_store_stats(stats, today, first)
        return partners._relationship_placed_and_moved(placed, rules, today, first)

    def _relationship_placed_and_moved(self, placed, rules, today, first=None):
        """After :meth:`_relationship_store_stats` placed the partners
        ``placed`` (``{stage: [ids]}``) of the first placements ``first``
        (``{partner id: stage id}``), move the partners of ``self`` as the
        ``rules`` call for (:meth:`_relationship_move_to_phases`, the placed
        ones at their stage now; a partner of ``first`` not placed, given a
        stage or locked since the rules read it, is left as it is until the
        next run); returns ``{stage: [ids]}`` of both."""
        stage_of = {pid: stage.id for stage, group in placed.items() for pid in group}
        skipped = set(first or ()) - set(stage_of)
        if stage_of or skipped:
            rules = dict(
                rules,
                stage_id=[
                    stage_of.get(pid, current)
                    for pid, current in zip(self.ids, rules["stage_id"], strict=True)
                ],
                locked=[
                    locked or pid in skipped
                    for pid, locked in zip(self.ids, rules["locked"], strict=True)
                ],
            )
        moves = self._relationship_move_to_phases(rules, today)
        for stage, group in placed.items():
            moves[stage] = moves.get(stage, []) + group
        return moves

    def _relationship_target_stage_ids(self, rules, today):
        """The stage the ``rules`` (:meth:`_relationship_rule_columns`: one
        value per partner of ``self`` in order, with their ``stage_id``,
        ``locked`` and ``company_id``) call for, per partner of ``self``: an
        array of stage ids, 0 for a locked partner or a phase without a
        stage (:meth:`_relationship_target_phases`, per company; a partner
        without company follows the current company's thresholds)."""
        ids = np.asarray(self.ids, dtype=np.int64)
        targets = np.zeros(len(ids), dtype=np.int64)
        if not len(ids):
            return targets
        stages = self.env["crm.relationship.stage"]._stages_by_phase()
        company_ids = np.array(
            [c or self.env.company.id for c in rules["company_id"]], dtype=np.int64
        )
        phases = np.empty(len(ids), dtype=object)
        for company_id in np.unique(company_ids).tolist():
            mine = company_ids == company_id
            phases[mine] = self._relationship_target_phases(
                {
                    key: np.asarray(values)[mine]
                    for key, values in rules.items()
                    if key not in ("stage_id", "locked", "company_id")
                },
                self.env["res.company"].browse(company_id),
                today,
            )
        for phase, stage in stages.items():
            targets[phases == phase] = stage.id
        targets[np.asarray(rules["locked"], dtype=bool)] = 0
        return targets

    def _relationship_first_stages(self, rules, today):
        """The first placements the ``rules`` call for (see
        :meth:`_relationship_target_stage_ids`): ``{partner id: stage id}`` of
        the unlocked partners of ``self`` without a stage yet, for
        :meth:`_relationship_store_stats`, which places them with their
        order figures."""
        current = np.array([s or 0 for s in rules["stage_id"]], dtype=np.int64)
        if current.all():
            return {}  # every partner has a stage (most nights)
        targets = self._relationship_target_stage_ids(rules, today)
        first = (current == 0) & (targets != 0)
        ids = np.asarray(self.ids, dtype=np.int64)
        return dict(zip(ids[first].tolist(), targets[first].tolist(), strict=True))

    def _relationship_move_to_phases(self, rules, today):
        """Move the unlocked partners of ``self`` to the stage the ``rules``
        (:meth:`_relationship_rule_columns`: one value per partner of ``self``
        in order, with their ``stage_id``, ``locked`` and ``company_id``) call
        for (:meth:`_relationship_target_stage_ids`): one write per target
        stage. Returns ``{stage: [ids]}``."""
        ids = np.asarray(self.ids, dtype=np.int64)
        if not len(ids):
            return {}
        targets = self._relationship_target_stage_ids(rules, today)
        current = np.array([s or 0 for s in rules["stage_id"]], dtype=np.int64)
        moves = {}
        for stage in self.env["crm.relationship.stage"]._stages_by_phase().values():
            moving = (targets == stage.id) & (current != stage.id)
            if not moving.any():
                continue
            moves[stage] = ids[moving].tolist()
            movers = self.browse(moves[stage])
            # a first placement is recorded in the history, not in the chatter
            placed = self.browse(ids[moving & (current == 0)].tolist())
            (movers - placed)._relationship_set_stage(stage, automatic=True)
            placed._relationship_set_stage(stage, automatic=True, track=False)
        return moves

    def _relationship_store_stats(self, stats, today, stages=None, tiers=None):
        """Store the order figures of ``stats`` in one UPDATE of the partners
        whose figures changed (none on most nights: a partner row gets a new
        version only when the customer ordered or was refunded).

        ``stages``: first placements (:meth:`_relationship_first_stages`,
        ``{partner id: stage id}``, partners of ``stats``) written by the same
        UPDATE, so that a customer placed with its first figures (every
        customer on the first run of the rules) gets one new row version,
        not two. A partner given a stage or locked meanwhile keeps its own.
        A placement is recorded as :meth:`_relationship_set_stage` records
        one (a history row, no chatter message, no transition, no playbook)
        but not written through the ORM: like a first tier
        (:meth:`_relationship_write_first_tiers`), it is not an event.
        ``tiers``: first tiers (``{partner id: tier id}``, planned by the
        scoring job) written by the same UPDATE the same way, to the
        partners still without a tier and not locked.
        Returns ``{stage: [ids]}`` of the partners placed."""
        ids = list(stats)
        stages = stages or {}
        tiers = tiers or {}
        # the UPDATE reads these columns: pending writes of them first
        self.flush_model(
            [
                *STATS_FIELDS,
                "relationship_stage_id",
                "relationship_stage_date",
                "relationship_stage_locked",
                "value_tier_id",
                "value_tier_locked",
            ]
        )
        figures = self._relationship_figure_columns(stats, ids)
        values = SQL(
            """
            SELECT * FROM unnest(%s::int[], %s::jsonb[], %s::jsonb[],
                                 %s::jsonb[], %s::jsonb[], %s::int[], %s::int[])
                AS v(id, first_date, last_date, order_count, revenue, stage,
                     tier)
            """,
            ids,
            figures["relationship_first_order_date"],
            figures["relationship_last_order_date"],
            figures["relationship_order_count"],
            figures["relationship_revenue_12m"],
            [stages.get(pid) for pid in ids],
            [tiers.get(pid) for pid in ids],
        )
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p
                   SET relationship_first_order_date = v.first_date,
                       relationship_last_order_date = v.last_date,
                       relationship_order_count = v.order_count,
                       relationship_revenue_12m = v.revenue,
                       relationship_stage_id = CASE WHEN %(place)s
                           THEN v.stage ELSE p.relationship_stage_id END,
                       relationship_stage_date = CASE WHEN %(place)s
                           THEN %(now)s ELSE p.relationship_stage_date END,
                       value_tier_id = CASE WHEN %(tier)s
                           THEN v.tier ELSE p.value_tier_id END,
                       write_uid = CASE WHEN %(place)s OR %(tier)s
                           THEN %(uid)s ELSE p.write_uid END,
                       write_date = CASE WHEN %(place)s OR %(tier)s
                           THEN %(now)s ELSE p.write_date END
                  FROM (%(values)s) AS v
                 WHERE p.id = v.id
                   -- the range of the ids: an index scan, not a scan of every
                   -- partner for each batch
                   AND p.id BETWEEN %(low)s AND %(high)s
                   AND (p.relationship_first_order_date IS DISTINCT FROM v.first_date
                        OR p.relationship_last_order_date IS DISTINCT FROM v.last_date
                        OR p.relationship_order_count IS DISTINCT FROM v.order_count
                        OR p.relationship_revenue_12m IS DISTINCT FROM v.revenue
                        OR %(place)s OR %(tier)s)
                RETURNING p.id, v.stage, %(place_new)s
                """,
                values=values,
                low=min(ids, default=0),
                high=max(ids, default=0),
                now=now,
                uid=self.env.uid,
                place=SQL(
                    "(v.stage IS NOT NULL AND p.relationship_stage_id IS NULL"
                    " AND p.relationship_stage_locked IS NOT TRUE)"
                ),
                tier=SQL(
                    "(v.tier IS NOT NULL AND p.value_tier_id IS NULL"
                    " AND p.value_tier_locked IS NOT TRUE)"
                ),
                # what RETURNING reads is the new row: a placement is the
                # stage of v with the date of this statement (a partner given
                # the same stage by someone else within the same second,
                # between the rules' read and this write, would count as
                # placed: locking the rows first would cost every first run)
                place_new=SQL(
                    "(v.stage IS NOT NULL AND p.relationship_stage_id = v.stage"
                    " AND p.relationship_stage_date = %s)",
                    now,
                ),
            )
        )
        placed = {}
        for pid, stage_id, is_placed in sorted(self.env.cr.fetchall()):
            if is_placed:
                placed.setdefault(stage_id, []).append(pid)
        self.browse(ids).invalidate_recordset(list(STATS_FIELDS))
        if tiers:
            tiered = self.browse(sorted(tiers))
            tiered.invalidate_recordset(["value_tier_id", "write_uid", "write_date"])
            # what depends on the tier (keep-in-touch cadence, ...) as after a
            # write
            tiered.modified(["value_tier_id"])
        if not placed:
            return {}
        partners = self.browse([pid for group in placed.values() for pid in group])
        partners.invalidate_recordset(
            [
                "relationship_stage_id",
                "relationship_stage_date",
                "write_uid",
                "write_date",
            ]
        )
        # what depends on the stage (reports, keep-in-touch plans, ...) as
        # after a write
        partners.modified(["relationship_stage_id", "relationship_stage_date"])
        Stage = self.env["crm.relationship.stage"]
        result = {}
        for stage_id, group in placed.items():
            stage = Stage.browse(stage_id)
            self.browse(group)._relationship_insert_placements(
                stage, now, True, None, None
            )
            result[stage] = group
        return result

    @api.model
    def _relationship_auto_commit(self):
        """Commit between batches only inside a real scheduled-action worker."""
        return self.env["crm.relationship.job.failure"]._auto_commit()

    @api.model
    def _relationship_rule_domain(self):
        return [("parent_id", "=", False), ("relationship_stage_locked", "=", False)]

    @api.model
    def _cron_relationship_rules(self, batch_size=500):
        """Daily job: stage rules and tiers for every commercial partner.

        Time-boxed: each pass of the cron worker works until its budget
        (``crm.relationship.job.failure._job_time_budget``, half of Odoo's
        time limit of scheduled actions) and asks to be called again for the
        rest. A failure is recorded for the administrators
        (``crm.relationship.job.failure``) and retried by the next run.
        """
        return self.env["crm.relationship.job.failure"]._run_cron_job(
            RULES_JOB,
            _("Stage rules and value tiers"),
            lambda deadline: self._relationship_run_rules(
                batch_size=batch_size, deadline=deadline
            ),
        )

    @api.model
    def _relationship_run_rules(self, batch_size=500, deadline=None):
        """Stage rules and tiers for every commercial partner, in batches.

        Processes the partners by increasing id in batches, committing each
        batch with the id it ended on (``crm.relationship.job.failure.
        _job_progress``, never a stamp on the partners) and reporting
        progress. A crash loses at most the batch in flight: the next run
        resumes after the last committed batch; once the day is done, further
        calls of the same day return without work. With a ``deadline``
        (``time.monotonic()``), the call stops after the batch that passes it
        (at least one batch per call), reports the remaining partners and
        triggers the scheduled action again; the tiers are assigned by the
        call that finishes the partners. Returns the partners evaluated.
        """
        today = fields.Date.context_today(self)
        Jobs = self.env["crm.relationship.job.failure"]
        after = Jobs._job_progress(RULES_JOB, today)
        if after is None:
            return 0  # today's rules are done
        partners = self.search(
            self._relationship_rule_domain() + [("id", ">", after)], order="id"
        )
        cron = self.env["ir.cron"]
        done = 0
        for start in range(0, len(partners), batch_size):
            if start and deadline is not None and time.monotonic() > deadline:
                Jobs._job_continue_later(
                    "crm_relationship.ir_cron_relationship_rules",
                    done,
                    len(partners) - done,
                )
                return done
            batch = partners[start : start + batch_size]
            batch._relationship_apply_rules(today)
            # the progress is committed with the batch: a crash resumes after it
            Jobs._job_save_progress(RULES_JOB, today, batch.ids[-1])
            done += len(batch)
            cron._notify_progress(done=done, remaining=len(partners) - done)
            if self._relationship_auto_commit():  # pragma: no cover
                self.env.cr.commit()  # pylint: disable=invalid-commit
        for company in self.env["res.company"].search([]):
            self.with_company(company)._relationship_assign_tiers()
        Jobs._job_save_progress(RULES_JOB, today)
        return done

    # ------------------------------------------------------------------
    # Tiers
    # ------------------------------------------------------------------
    @api.model
    def _relationship_tier_values(self, ids, revenue=None):
        """The values the tiers of the partners ``ids`` (a list of ids) are
        assigned from, as arrays in the order of ``ids``: ``(value,
        revenue_12m)``; ``revenue``, when given, holds their revenue of the
        last 12 months in the current company (as read by
        :meth:`_relationship_assign_tiers`), otherwise it is read.

        The base addon ranks by revenue of the last 12 months; the scoring
        addon extends this with customer lifetime value. Read in one query:
        the tiers of a whole company are assigned at once.
        """
        if revenue is None:
            self.browse(ids).flush_recordset(["relationship_revenue_12m"])
            self.env.cr.execute(
                SQL(
                    """
                    SELECT COALESCE((p.relationship_revenue_12m->>%s)::float8, 0)
                      FROM unnest(%s::int4[]) WITH ORDINALITY AS u(id, position)
                      LEFT JOIN res_partner p ON p.id = u.id
                     ORDER BY u.position
                    """,
                    str(self.env.company.id),
                    id_array(ids),
                )
            )
            revenue = [value for (value,) in self.env.cr.fetchall()]
        revenue = np.asarray(revenue, dtype=np.float64)
        return revenue, revenue

    @api.model
    def _relationship_tier_rows(self, pending=None):
        """The customers the tiers of the current company rank, read in one
        query: arrays by increasing id of their ids, current tier (0 for
        none), tier lock and revenue of the last 12 months in the company
        (the commercial partners, active, of the company or shared, with
        orders in it).

        ``pending``: an SQL relation of rows ``(id, orders, revenue)``, the
        order figures in the company about to be stored, which count instead
        of the stored ones (0 orders: the partner will have none): the
        scoring job plans the first tiers before its batches write the
        figures. Rows are fetched by chunks into the arrays: a million
        customers are not a million Python tuples at once."""
        company = self.env.company
        key = str(company.id)
        self.flush_model(
            [
                "parent_id",
                "company_id",
                "active",
                "relationship_order_count",
                "relationship_revenue_12m",
                "value_tier_id",
                "value_tier_locked",
            ]
        )
        stored_orders = SQL("(p.relationship_order_count->>%s)::int", key)
        stored_revenue = SQL("(p.relationship_revenue_12m->>%s)::float8", key)
        if pending is None:
            source, orders, revenue = SQL(), stored_orders, stored_revenue
        else:
            source = SQL("LEFT JOIN (%s) AS v ON v.id = p.id", pending)
            orders = SQL("COALESCE(v.orders, %s)", stored_orders)
            revenue = SQL("COALESCE(v.revenue, %s)", stored_revenue)
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT p.id, COALESCE(p.value_tier_id, 0),
                       p.value_tier_locked IS TRUE, COALESCE(%(revenue)s, 0)
                  FROM res_partner p %(source)s
                 WHERE p.parent_id IS NULL
                   AND p.active
                   AND (p.company_id = %(company)s OR p.company_id IS NULL)
                   AND %(orders)s > 0
                 ORDER BY p.id
                """,
                revenue=revenue,
                source=source,
                company=company.id,
                orders=orders,
            )
        )
        parts = []
        while rows := cr.fetchmany(TIER_FETCH_CHUNK):
            parts.append(np.array(rows, dtype=np.float64).reshape(-1, 4))
            del rows
        table = np.concatenate(parts) if parts else np.zeros((0, 4))
        del parts
        ids = table[:, 0].astype(np.int64)
        current = table[:, 1].astype(np.int64)
        locked = table[:, 2].astype(bool)
        revenue = table[:, 3].copy()
        return ids, current, locked, revenue

    @api.model
    def _relationship_assign_tiers(self):
        """Assign tiers to the current company's customers, respecting locks.

        The customers and their current tiers are read in one query, the
        tiers computed on arrays (a company may have millions of customers),
        and only the customers whose tier changes are written, one write per
        tier. A first assignment (no tier yet) is not posted in the chatter,
        like a first stage placement; a change of tier is tracked.
        Returns ``{tier: [partner ids]}`` of the customers moved.
        """
        company = self.env.company
        ids, current, locked, revenue = self._relationship_tier_rows()
        value, revenue = self._relationship_tier_values(ids.tolist(), revenue)
        Tier = self.env["crm.relationship.tier"]
        tier = Tier._assign_arrays(value, revenue, company)
        change = ~locked & (current != tier)
        moved = {}
        transitions = []
        for tier_id in np.unique(tier[change]).tolist():
            for first in (True, False):
                movers = change & (tier == tier_id) & ((current == 0) == first)
                if not movers.any():
                    continue
                movers_ids = ids[movers].tolist()
                # by chunks, each written and released from the cache: the
                # first tiers of a million customers are not one write
                for chunk in split_every(TIER_WRITE_CHUNK, movers_ids):
                    if first:
                        self._relationship_write_first_tiers(chunk, tier_id)
                        continue
                    partners = self.browse(chunk).sudo()
                    partners._relationship_write_logged(
                        {"value_tier_id": tier_id or False}
                    )
                    self.env.flush_all()
                    partners.invalidate_recordset()
                moved.setdefault(Tier.browse(tier_id or []), []).extend(movers_ids)
                if not first:  # a first tier is not a move
                    transitions += [
                        {
                            "partner_id": pid,
                            "kind": "tier",
                            "from_tier_id": previous,
                            "to_tier_id": tier_id or False,
                            "automatic": True,
                        }
                        for pid, previous in zip(
                            movers_ids, current[movers].tolist(), strict=True
                        )
                    ]
        self.env["crm.relationship.transition"]._transition_create(transitions)
        return moved

    @api.model
    def _relationship_write_first_tiers(self, ids, tier_id):
        """Give the customers ``ids``, without a tier yet, their first tier
        ``tier_id`` in one UPDATE: a first tier is not an event (no chatter
        message, no transition, as a first stage placement), and the first
        run gives every customer one, which the ORM would write one partner
        at a time through every override of ``res.partner.write``."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner
                   SET value_tier_id = %s, write_uid = %s, write_date = %s
                 WHERE id = ANY(%s)
                   AND value_tier_id IS NULL
                   AND value_tier_locked IS NOT TRUE
                """,
                tier_id or None,
                self.env.uid,
                fields.Datetime.now(),
                id_array(ids),
            )
        )
        partners = self.browse(ids)
        partners.invalidate_recordset(["value_tier_id", "write_uid", "write_date"])
        # what depends on the tier (keep-in-touch cadence, ...) as after a write
        partners.modified(["value_tier_id"])

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _relationship_reason_required(self, stage):
        """Whether moving ``self`` by hand to ``stage`` needs a reason."""
        if stage.phase not in REASON_PHASES:
            return False
        # a customer shared by every company needs a reason when any company
        # of the user asks for one: the current company is the client's choice
        companies = self.mapped("company_id")
        if not companies or not all(self.mapped("company_id")):
            companies |= self.env.user.company_ids
        return any(companies.sudo().mapped("relationship_require_reason"))

    def _relationship_check_user(self):
        """Public actions of the pipeline are for relationship users, on the
        customers they can read."""
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(
                _("Only relationship users can work the customer pipeline.")
            )
        self.check_access("read")

    def action_relationship_change_stage(self):
        self._relationship_check_user()
        return {
            "type": "ir.actions.act_window",
            "name": _("Change Relationship Stage"),
            "res_model": "crm.relationship.stage.change",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_partner_ids": self.commercial_partner_id.ids},
        }

    def action_relationship_drop_on_stage(self, stage_id):
        """Pipeline drag and drop: the reason wizard when ``stage_id`` needs one.

        Moves the customers of ``self`` to ``stage_id`` and returns ``False``,
        or returns the reason wizard when that stage needs a reason.
        """
        self._relationship_check_user()
        stage = self.env["crm.relationship.stage"].browse(stage_id).exists()
        if not stage:
            raise UserError(_("This stage no longer exists: reload the pipeline."))
        if self._relationship_reason_required(stage):
            action = self.action_relationship_change_stage()
            action["context"]["default_stage_id"] = stage.id
            return action
        self.commercial_partner_id._relationship_set_stage(stage)
        return False

    def action_relationship_apply_rules(self):
        """Re-evaluate the stage of the selected customers now."""
        self._relationship_check_user()
        self._relationship_apply_rules()
        return True

    # Mailings: Email Marketing (mass_mailing) is used when installed, it is
    # not a dependency
    def _relationship_mass_mailing_installed(self):
        return "mailing.mailing" in self.env

    def _relationship_notification(self, title, message, next_action=None):
        params = {"title": title, "message": message, "type": "warning"}
        if next_action:
            params["next"] = next_action
        else:
            params["sticky"] = True
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
        }

    def _relationship_mailing_refusal(self, *model_names):
        """The notification to return instead of a mailing action, or ``False``.

        Without Email Marketing, administrators are taken to its page in Apps
        (Odoo's Activate button installs it), other users are told to ask
        them; with it, the user needs the rights to create ``model_names``.
        """
        if not self._relationship_mass_mailing_installed():
            title = _("Email Marketing is not installed")
            if not self.env.user.has_group("base.group_system"):
                return self._relationship_notification(
                    title,
                    _(
                        "Ask an administrator to install the Email Marketing "
                        "application to send mailings to your customers."
                    ),
                )
            module = self.env["ir.module.module"].search(
                [("name", "=", "mass_mailing")], limit=1
            )
            if not module:
                return self._relationship_notification(
                    title,
                    _(
                        "The Email Marketing application is not available on "
                        "this server."
                    ),
                )
            return self._relationship_notification(
                title,
                _(
                    "Install the Email Marketing application (Activate on its "
                    "page) to send mailings to your customers."
                ),
                {
                    "type": "ir.actions.act_window",
                    "res_model": "ir.module.module",
                    "res_id": module.id,
                    "views": [(False, "form")],
                    "target": "current",
                },
            )
        if not all(self.env[name].has_access("create") for name in model_names):
            return self._relationship_notification(
                _("Email Marketing rights needed"),
                _(
                    "Ask an administrator for the Email Marketing user rights "
                    "to send mailings to your customers."
                ),
            )
        return False

    def action_relationship_send_mailing(self):
        """A new mailing of Email Marketing on Contacts to the selected
        customers (the form, not saved yet).

        Its recipients are the customers of ``self``, in the domain
        ``[('id', 'in', ids)]`` joined to Odoo's default domain of a mailing on
        Contacts (not blacklisted) and to "not marked Do Not Contact"; when
        sending, Email Marketing leaves out
        the blacklisted and opted-out addresses again.
        """
        self._relationship_check_user()
        if not self:
            raise UserError(_("Select the customers to send the mailing to."))
        refusal = self._relationship_mailing_refusal("mailing.mailing")
        if refusal:
            return refusal
        contacts_model = self.env["ir.model"]._get_id("res.partner")
        draft = self.env["mailing.mailing"].new(
            {"mailing_model_id": contacts_model, "mailing_type": "mail"}
        )
        # customers who asked not to be contacted are left out too
        domain = expression.AND(
            [
                draft._get_default_mailing_domain(),
                [("relationship_no_contact", "=", False)],
                [("id", "in", self.ids)],
            ]
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mass_mailing.mailing_mailing_action_mail"
        )
        action.update(
            {
                "views": [(False, "form")],
                "view_mode": "form",
                "target": "current",
                "context": {
                    "default_mailing_type": "mail",
                    "default_mailing_model_id": contacts_model,
                    "default_mailing_domain": repr(domain),
                },
            }
        )
        return action

    def action_relationship_add_to_mailing_list(self):
        """Odoo's "Add to Mailing List" dialog on the selected customers.

        Each customer with an e-mail address gets its mailing contact (the
        existing one of that address, else a new one); the user then picks a
        list or names a new one. Opt-outs of a list and blacklisted addresses
        are left as they are (Email Marketing skips them when sending).
        """
        self._relationship_check_user()
        if not self:
            raise UserError(_("Select the customers to add to a mailing list."))
        refusal = self._relationship_mailing_refusal(
            "mailing.contact", "mailing.contact.to.list"
        )
        if refusal:
            return refusal
        customers = self.filtered("email_normalized")
        if not customers:
            return self._relationship_notification(
                _("No e-mail address"),
                _("None of the selected customers has an e-mail address."),
            )
        Contact = self.env["mailing.contact"].with_context(
            clean_context(self.env.context)
        )
        emails = list(dict.fromkeys(customers.mapped("email_normalized")))
        contacts = {}
        for contact in Contact.search([("email_normalized", "in", emails)], order="id"):
            contacts.setdefault(contact.email_normalized, contact)
        new = {}
        for partner in customers:
            email = partner.email_normalized
            if email not in contacts and email not in new:
                new[email] = {
                    "name": partner.name,
                    "email": email,
                    "company_name": partner.commercial_company_name or False,
                    "country_id": partner.country_id.id,
                }
        for contact in Contact.create(list(new.values())):
            contacts[contact.email_normalized] = contact
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mass_mailing.mailing_contact_to_list_action"
        )
        action["context"] = {
            "default_contact_ids": [contacts[email].id for email in emails]
        }
        return action

    # ------------------------------------------------------------------
    # Keep in touch (定期沟通计划)
    # ------------------------------------------------------------------
    # Keep-in-touch cadences (issue 15, item 3).
    #
    # A value tier and a lifecycle stage may ask to contact their customers at least
    # every N days (``keep_in_touch_days``, 0: no cadence). A commercial customer
    # whose **last touch** is older than its cadence (the shortest of its tier and
    # its stage that is set) gets one "Keep in touch" activity for its owner from
    # the daily job.
    #
    # Rules (one place, used by the form fields, the Overdue Contacts search and
    # the job alike):
    #
    # * **Customers** the rule applies to (:meth:`_relationship_contact_plans`):
    #   active commercial partners (no parent company), neither the partner of a
    #   company nor of an internal user, that are customers: invoiced or created as
    #   customers (``customer_rank`` > 0) or with a quotation or order that is not
    #   cancelled (theirs or one of their contacts').
    # * **Opted out** customers are left alone: "Do not contact"
    #   (``relationship_no_contact``) is set, or the customer's e-mail address is
    #   blacklisted (``is_blacklisted``, Odoo's mailing blacklist on
    #   ``res.partner``). A blacklisted address of one of its contacts only is not
    #   an opt-out of the company.
    # * **Cadence**: the shortest cadence of the customer's tier and stage that is
    #   set (> 0; archived tiers and stages ask for nothing), with the activity
    #   type of that tier or stage (the tier's on a tie; Call, else To-Do, when it
    #   has none).
    # * **Last touch** (:meth:`_relationship_touch_dates`): the latest of
    #
    #   - the customer's last confirmed order (``date_order`` of an order in state
    #     ``sale``, placed by the customer or one of its contacts, any company);
    #   - the last activity marked done on the customer, one of its contacts or one
    #     of their sale orders (Odoo posts a message with ``mail_activity_type_id``
    #     set when an activity is done);
    #   - the last message sent to the customer: a message of type ``email`` or
    #     ``comment`` on those records that is not internal (not a log note: a
    #     subtype that is not internal, and not "employee only");
    #   - added by crm_relationship_survey: the customer's last completed survey
    #     answer.
    #
    #   Done activities and messages count when their author is an internal user
    #   (a message of the customer is not a contact we made; mass mailings,
    #   ``email_outgoing``, are not a personal contact either).
    # * **Next contact due**: the day of the last touch (of the creation of the
    #   customer when nothing was ever recorded) plus the cadence. The job acts on
    #   customers due today or earlier, and so does "Overdue Contacts".
    # * **One open activity**: a customer with an open keep-in-touch activity (a
    #   keep-in-touch activity type and the fixed summary, translated or not) gets
    #   no other one; the activity goes to the owner (relationship owner, else
    #   salesperson) and is skipped when the owner is archived or a portal user.

    relationship_referred_by_id = fields.Many2one(
        "res.partner",
        string="Referred By",
        index="btree_not_null",
        ondelete="set null",
        tracking=True,
        groups="base.group_user",
        domain="[('parent_id', '=', False), ('id', '!=', id)]",
        help="The customer who recommended us to this one (a loyal customer who "
        "refers others is an advocate).",
    )
    relationship_referral_count = fields.Integer(
        string="Referrals",
        compute="_compute_relationship_referral_count",
        groups="base.group_user",
        help="Customers who were referred by this one.",
    )
    relationship_no_contact = fields.Boolean(
        string="Do Not Contact",
        tracking=True,
        groups="base.group_user",
        help="The customer asked not to be contacted: no keep-in-touch "
        "activity is scheduled for it (nor for a customer whose e-mail "
        "address is blacklisted).",
    )
    relationship_last_contact = fields.Datetime(
        string="Last Contact",
        compute="_compute_relationship_contact",
        groups=CONTACT_GROUP,
        help="Latest of the last confirmed order, the last activity done, the "
        "last message sent to the customer by an employee (on the customer, "
        "its contacts or their orders) and the last survey answer.",
    )
    relationship_next_contact_due = fields.Date(
        string="Next Contact Due",
        compute="_compute_relationship_contact",
        search="_search_relationship_next_contact_due",
        groups=CONTACT_GROUP,
        help="Last contact plus the keep-in-touch cadence of the customer's "
        "tier or stage (the shorter one). Empty without cadence or when the "
        "customer must not be contacted.",
    )

    # ------------------------------------------------------------------
    # Last touch
    # ------------------------------------------------------------------
    @api.model
    def _relationship_merge_touches(self, touches, rows):
        """Merge ``rows`` of ``(partner_id, datetime)`` into ``touches``
        (``{partner_id: datetime}``), keeping the latest date."""
        for partner_id, *dates in rows:
            for date in dates:
                if date and (partner_id not in touches or date > touches[partner_id]):
                    touches[partner_id] = date
        return touches

    @api.model
    def _relationship_touch_dates(self, partners):
        """When each of the commercial ``partners`` was last in touch with us:
        ``{partner_id: datetime}`` (UTC), partners never touched left out.

        The hook of every source of the last touch (see the module): one
        aggregate query per table for the whole recordset (orders; done
        activities and sent messages, both read from ``mail_message``).
        Extended by crm_relationship_survey (completed survey answers).
        """
        ids = list(partners.ids)
        touches = {}
        if not ids:
            return touches
        self.env["sale.order"].flush_model(["state", "date_order", "partner_id"])
        self.flush_model(["commercial_partner_id"])
        self.env["mail.message"].flush_model(
            [
                "model",
                "res_id",
                "date",
                "author_id",
                "message_type",
                "subtype_id",
                "is_internal",
                "mail_activity_type_id",
            ]
        )
        self.env["res.users"].flush_model(["partner_id", "share"])
        cr = self.env.cr
        # last confirmed order
        cr.execute(
            SQL(
                """
                SELECT p.commercial_partner_id, MAX(so.date_order)
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state = 'sale'
                   AND p.commercial_partner_id = ANY(%s)
                 GROUP BY p.commercial_partner_id
                """,
                ids,
            )
        )
        self._relationship_merge_touches(touches, cr.fetchall())
        # last activity done and last message sent, by an employee, on the
        # customer, its contacts and their orders
        cr.execute(
            SQL(
                """
                WITH records AS (
                    SELECT 'res.partner'::varchar AS model, p.id AS res_id,
                           p.commercial_partner_id AS partner_id
                      FROM res_partner p
                     WHERE p.commercial_partner_id = ANY(%(ids)s)
                    UNION ALL
                    SELECT 'sale.order'::varchar, so.id, p.commercial_partner_id
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE p.commercial_partner_id = ANY(%(ids)s)
                )
                SELECT r.partner_id,
                       MAX(m.date) FILTER (
                           WHERE m.mail_activity_type_id IS NOT NULL),
                       MAX(m.date) FILTER (
                           WHERE m.message_type IN ('email', 'comment')
                             AND m.is_internal IS NOT TRUE
                             AND st.id IS NOT NULL
                             AND st.internal IS NOT TRUE)
                  FROM records r
                  JOIN mail_message m ON m.model = r.model AND m.res_id = r.res_id
                  LEFT JOIN mail_message_subtype st ON st.id = m.subtype_id
                 WHERE EXISTS (
                           SELECT 1 FROM res_users u
                            WHERE u.partner_id = m.author_id AND NOT u.share)
                   AND (m.mail_activity_type_id IS NOT NULL
                        OR m.message_type IN ('email', 'comment'))
                 GROUP BY r.partner_id
                """,
                ids=ids,
            )
        )
        self._relationship_merge_touches(touches, cr.fetchall())
        return touches

    # ------------------------------------------------------------------
    # Cadences
    # ------------------------------------------------------------------
    @api.model
    def _relationship_contact_plans(self, ids=None):
        """The cadence of every customer the keep-in-touch rule applies to
        (see the module), among ``ids`` (a list) or all customers, in one
        query: ``{partner_id: dict(days, activity_type_id, tier_id,
        stage_id, owner_id, created)}``, where ``tier_id`` or ``stage_id`` is
        the tier or stage whose cadence applies."""
        self.flush_model(
            [
                "parent_id",
                "active",
                "create_date",
                "value_tier_id",
                "relationship_stage_id",
                "relationship_no_contact",
                "relationship_owner_id",
                "user_id",
                "email_normalized",
                "customer_rank",
                "commercial_partner_id",
            ]
        )
        for model in ("crm.relationship.tier", "crm.relationship.stage"):
            self.env[model].flush_model(
                ["active", "keep_in_touch_days", "keep_in_touch_activity_type_id"]
            )
        self.env["mail.blacklist"].flush_model(["email", "active"])
        self.env["sale.order"].flush_model(["state", "partner_id"])
        self.env["res.users"].flush_model(["partner_id", "share"])
        self.env["res.company"].flush_model(["partner_id"])
        among = SQL("TRUE") if ids is None else SQL("p.id = ANY(%s)", list(ids))
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, p.create_date,
                       COALESCE(p.relationship_owner_id, p.user_id),
                       t.id, t.keep_in_touch_days, t.keep_in_touch_activity_type_id,
                       s.id, s.keep_in_touch_days, s.keep_in_touch_activity_type_id
                  FROM res_partner p
                  LEFT JOIN crm_relationship_tier t
                    ON t.id = p.value_tier_id
                   AND t.active AND t.keep_in_touch_days > 0
                  LEFT JOIN crm_relationship_stage s
                    ON s.id = p.relationship_stage_id
                   AND s.active AND s.keep_in_touch_days > 0
                 WHERE %s
                   AND p.parent_id IS NULL
                   AND p.active
                   AND (t.id IS NOT NULL OR s.id IS NOT NULL)
                   AND p.relationship_no_contact IS NOT TRUE
                   AND NOT EXISTS (
                           SELECT 1 FROM mail_blacklist bl
                            WHERE bl.active AND bl.email = p.email_normalized)
                   AND NOT EXISTS (
                           SELECT 1 FROM res_company c WHERE c.partner_id = p.id)
                   AND NOT EXISTS (
                           SELECT 1 FROM res_users u
                            WHERE u.partner_id = p.id AND NOT u.share)
                   AND (COALESCE(p.customer_rank, 0) > 0
                        OR EXISTS (
                           SELECT 1 FROM sale_order so
                             JOIN res_partner c ON c.id = so.partner_id
                            WHERE c.commercial_partner_id = p.id
                              AND so.state != 'cancel'))
                 ORDER BY p.id
                """,
                among,
            )
        )
        plans = {}
        for row in self.env.cr.fetchall():
            pid, created, owner_id = row[:3]
            # the tier before the stage on a tie
            options = [
                (days, rank, source_id, type_id)
                for rank, (source_id, days, type_id) in enumerate((row[3:6], row[6:9]))
                if source_id
            ]
            days, rank, source_id, type_id = min(options)
            plans[pid] = {
                "days": days,
                "activity_type_id": type_id,
                "tier_id": source_id if rank == 0 else False,
                "stage_id": source_id if rank == 1 else False,
                "owner_id": owner_id,
                "created": created,
            }
        return plans

    @api.model
    def _relationship_local_day(self, value):
        """The day of the UTC datetime ``value`` in the user's time zone."""
        return fields.Datetime.context_timestamp(self, value).date()

    @api.model
    def _relationship_contact_due(self, plans, touches):
        """Set ``last`` and ``due`` (the next contact day) on each of
        ``plans`` from ``touches`` (:meth:`_relationship_touch_dates`)."""
        for pid, plan in plans.items():
            plan["last"] = touches.get(pid)
            since = plan["last"] or plan["created"]
            plan["due"] = since and self._relationship_local_day(since) + timedelta(
                days=plan["days"]
            )
        return plans

    @api.depends(
        "parent_id", "value_tier_id", "relationship_stage_id", "relationship_no_contact"
    )
    def _compute_relationship_contact(self):
        """Last contact and next contact due of the commercial partners of
        ``self`` (contacts show none: they follow their company): the touches
        in one query per source, the cadences in one query."""
        ids = [p._origin.id for p in self if p._origin.id and not p.parent_id]
        touches = self._relationship_touch_dates(self.browse(ids)) if ids else {}
        plans = self._relationship_contact_plans(ids) if ids else {}
        self._relationship_contact_due(plans, touches)
        for partner in self:
            pid = partner._origin.id if not partner.parent_id else None
            partner.relationship_last_contact = touches.get(pid, False)
            partner.relationship_next_contact_due = plans.get(pid, {}).get("due", False)

    def _search_relationship_next_contact_due(self, operator, value):
        """Customers by next contact due (e.g. due today or earlier: the
        Overdue Contacts list). The due day is computed for every customer
        with a cadence, their touches read by chunks of ``SEARCH_CHUNK``."""
        # Odoo checks the groups of a field read, not of a field searched: the
        # due day summarises messages and orders a plain employee may not read
        if not self.env.su and not self.env.user.has_group(CONTACT_GROUP):
            raise AccessError(
                _("Only relationship users can search customers by contact due.")
            )
        compare = SEARCH_OPERATORS.get(operator)
        if compare is None:
            raise UserError(
                _(
                    "Next Contact Due cannot be searched with %(operator)s.",
                    operator=operator,
                )
            )
        plans = self._relationship_contact_plans()
        for chunk in split_every(SEARCH_CHUNK, list(plans), list):
            self._relationship_contact_due(
                {pid: plans[pid] for pid in chunk},
                self._relationship_touch_dates(self.browse(chunk)),
            )
        due = [pid for pid, plan in plans.items() if plan["due"]]
        if value is False or value is None:
            if operator == "=":
                return [("id", "not in", due)]
            if operator == "!=":
                return [("id", "in", due)]
            return [("id", "in", [])]
        day = fields.Date.to_date(value)
        return [("id", "in", [pid for pid in due if compare(plans[pid]["due"], day)])]

    # ------------------------------------------------------------------
    # Daily job
    # ------------------------------------------------------------------
    @api.model
    def _relationship_keep_in_touch_domain(self):
        """The customers the keep-in-touch job goes through (each batch then
        keeps those the rule applies to, see the module)."""
        return [
            ("parent_id", "=", False),
            ("relationship_no_contact", "=", False),
            "|",
            ("value_tier_id.keep_in_touch_days", ">", 0),
            ("relationship_stage_id.keep_in_touch_days", ">", 0),
        ]

    @api.model
    def _cron_relationship_keep_in_touch(self, batch_size=500):
        """Daily job: one keep-in-touch activity per customer due for contact.

        Time-boxed and resumable like the stage rules
        (:meth:`_cron_relationship_rules`); a failure is recorded for the
        administrators and retried by the next run.
        """
        return self.env["crm.relationship.job.failure"]._run_cron_job(
            KEEP_IN_TOUCH_JOB,
            _("Keep-in-touch activities"),
            lambda deadline: self._relationship_run_keep_in_touch(
                batch_size=batch_size, deadline=deadline
            ),
        )

    @api.model
    def _relationship_run_keep_in_touch(self, batch_size=500, deadline=None):
        """The keep-in-touch activities of the day, in batches of customers by
        increasing id, each batch committed with the id it ended on (a crash
        loses at most the batch in flight; the next run resumes after it;
        once the day is done, further calls of the day do nothing). With a
        ``deadline``, the call stops after the batch that passes it, reports
        the remaining customers and triggers the scheduled action again.
        Returns the customers looked at."""
        today = fields.Date.context_today(self)
        Jobs = self.env["crm.relationship.job.failure"]
        after = Jobs._job_progress(KEEP_IN_TOUCH_JOB, today)
        if after is None:
            return 0  # today's activities are scheduled
        partners = self.search(
            self._relationship_keep_in_touch_domain() + [("id", ">", after)],
            order="id",
        )
        cron = self.env["ir.cron"]
        done = 0
        for start in range(0, len(partners), batch_size):
            if start and deadline is not None and time.monotonic() > deadline:
                Jobs._job_continue_later(KEEP_IN_TOUCH_CRON, done, len(partners) - done)
                return done
            batch = partners[start : start + batch_size]
            batch._relationship_keep_in_touch_batch(today)
            # the progress is committed with the batch: a crash resumes after it
            Jobs._job_save_progress(KEEP_IN_TOUCH_JOB, today, batch.ids[-1])
            done += len(batch)
            cron._notify_progress(done=done, remaining=len(partners) - done)
            if self._relationship_auto_commit():  # pragma: no cover
                self.env.cr.commit()  # pylint: disable=invalid-commit
        Jobs._job_save_progress(KEEP_IN_TOUCH_JOB, today)
        return done

    @api.model
    def _relationship_keep_in_touch_types(self):
        """Every activity type a keep-in-touch activity may have."""
        types = self.env["mail.activity.type"]
        for model in ("crm.relationship.tier", "crm.relationship.stage"):
            types |= (
                self.env[model]
                .sudo()
                .with_context(active_test=False)
                .search([("keep_in_touch_activity_type_id", "!=", False)])
                .keep_in_touch_activity_type_id
            )
        return types | default_contact_activity_type(self.env)

    def _relationship_keep_in_touch_batch(self, today):
        """Schedule a keep-in-touch activity for each customer of ``self``
        due for contact on ``today`` that has no open one (found in one
        query) and an active internal owner. Returns the activities."""
        Activity = self.env["mail.activity"].sudo()
        plans = self._relationship_contact_plans(self.ids)
        self._relationship_contact_due(
            plans, self._relationship_touch_dates(self.browse(list(plans)))
        )
        due = {
            pid: plan
            for pid, plan in plans.items()
            if plan["due"] and plan["due"] <= today
        }
        if not due:
            return Activity
        lang = self.env.company.partner_id.lang or self.env.lang or "en_US"
        env = self.with_context(lang=lang).env
        summary = env._("Keep in touch")
        types = self._relationship_keep_in_touch_types()
        open_ = Activity.search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", list(due)),
                ("activity_type_id", "in", types.ids),
                ("summary", "in", list({summary, KEEP_IN_TOUCH_SUMMARY})),
            ]
        )
        covered = set(open_.mapped("res_id"))
        default_type = default_contact_activity_type(self.env)
        model_id = self.env["ir.model"]._get_id("res.partner")
        customers = env["res.partner"].sudo().browse(list(due))
        owners = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .browse({plan["owner_id"] for plan in due.values() if plan["owner_id"]})
        )
        usable = set(owners.filtered(lambda u: u.active and not u.share).ids)
        sources = {
            "tier": env["crm.relationship.tier"].sudo(),
            "stage": env["crm.relationship.stage"].sudo(),
        }
        vals_list = []
        for customer in customers:
            plan = due[customer.id]
            if customer.id in covered or plan["owner_id"] not in usable:
                continue
            kind = "tier" if plan["tier_id"] else "stage"
            source = sources[kind].browse(plan[f"{kind}_id"])
            values = {
                "customer": customer.display_name,
                "segment": source.display_name,
                "days": plan["days"],
            }
            if plan["last"]:
                note = env._(
                    "Last contact with %(customer)s on %(date)s; customers of "
                    "%(segment)s are contacted at least every %(days)s days.",
                    date=format_date(env, self._relationship_local_day(plan["last"])),
                    **values,
                )
            else:
                note = env._(
                    "No contact with %(customer)s recorded yet; customers of "
                    "%(segment)s are contacted at least every %(days)s days.",
                    **values,
                )
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": customer.id,
                    "activity_type_id": plan["activity_type_id"] or default_type.id,
                    "summary": summary,
                    "note": note,
                    "user_id": plan["owner_id"],
                    "date_deadline": today,
                }
            )
        return Activity.with_context(mail_activity_quick_update=True).create(vals_list)
