import logging
import threading
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crm_relationship_complaint_stage import OPEN_STATES
from .crm_relationship_stage import REASON_PHASES

_logger = logging.getLogger(__name__)

STATS_FIELDS = (
    "relationship_rules_date",
    "relationship_first_order_date",
    "relationship_last_order_date",
    "relationship_order_count",
    "relationship_revenue_12m",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    relationship_stage_id = fields.Many2one(
        "crm.relationship.stage",
        tracking=True,
        index=True,
        copy=False,
        ondelete="restrict",
        group_expand="_read_group_relationship_stage_ids",
    )
    relationship_phase = fields.Selection(related="relationship_stage_id.phase")
    relationship_stage_date = fields.Datetime(
        string="In Stage Since", readonly=True, copy=False
    )
    relationship_stage_locked = fields.Boolean(
        string="Stage Locked",
        copy=False,
        help="The automatic rules do not move a locked customer.",
    )
    value_tier_id = fields.Many2one(
        "crm.relationship.tier",
        tracking=True,
        index=True,
        copy=False,
        ondelete="restrict",
    )
    value_tier_locked = fields.Boolean(
        string="Tier Locked",
        copy=False,
        help="The automatic tier assignment does not change a locked tier.",
    )
    relationship_owner_id = fields.Many2one(
        "res.users",
        compute="_compute_relationship_owner_id",
        store=True,
        readonly=False,
        ondelete="set null",
        tracking=True,
    )
    relationship_first_order_date = fields.Date(
        string="First Order", readonly=True, copy=False
    )
    relationship_last_order_date = fields.Date(
        string="Last Order", readonly=True, copy=False
    )
    relationship_order_count = fields.Integer(
        string="Confirmed Orders", readonly=True, copy=False
    )
    relationship_revenue_12m = fields.Monetary(
        string="Revenue 12 Months",
        currency_field="relationship_currency_id",
        readonly=True,
        copy=False,
        help="Confirmed sales of the last 12 months in company currency, net of "
        "posted refunds.",
    )
    relationship_rules_date = fields.Date(
        string="Rules Applied On",
        readonly=True,
        copy=False,
        help="Last day the automatic stage rules evaluated this customer.",
    )
    relationship_currency_id = fields.Many2one(
        "res.currency", compute="_compute_relationship_currency_id"
    )
    relationship_history_ids = fields.One2many(
        "crm.relationship.stage.history", "partner_id", string="Stage History"
    )

    complaint_ids = fields.One2many(
        "crm.relationship.complaint", "partner_id", string="Complaints"
    )
    complaint_count = fields.Integer(compute="_compute_complaint_stats")
    complaint_open_count = fields.Integer(
        compute="_compute_complaint_stats", string="Open Complaints"
    )
    complaint_rate = fields.Float(
        compute="_compute_complaint_stats",
        help="Complaints received in the last 12 months per confirmed order of the "
        "same period.",
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
        partners = super().create(vals_list)
        if not self.env.context.get("relationship_no_stage"):
            newcomers = partners.filtered(
                lambda p: not p.parent_id and not p.relationship_stage_id
            )
            stages = self.env["crm.relationship.stage"].sudo()
            prospect = newcomers and stages._stage_for_phase("prospect")
            if prospect:
                # a first placement is recorded in the history, not in the chatter
                newcomers.sudo().with_context(
                    relationship_automatic=True, tracking_disable=True
                ).write({"relationship_stage_id": prospect.id})
        return partners

    def write(self, vals):
        if "relationship_stage_id" not in vals:
            return super().write(vals)
        stage = self.env["crm.relationship.stage"].browse(vals["relationship_stage_id"])
        moves = {
            p: p.relationship_stage_id for p in self if p.relationship_stage_id != stage
        }
        ctx = self.env.context
        automatic = bool(ctx.get("relationship_automatic"))
        if moves and not automatic and not ctx.get("relationship_reason_id"):
            if self._relationship_reason_required(stage):
                raise UserError(
                    _(
                        "Moving a customer to %(stage)s needs a reason: use the "
                        "'Change Stage' button of the customer.",
                        stage=stage.name,
                    )
                )
        res = super().write(vals)
        if moves:
            moved = self.browse([p.id for p in moves])
            moved.with_context(relationship_automatic=automatic).write(
                {"relationship_stage_date": stage and fields.Datetime.now()}
            )
            if stage:
                moved._relationship_record_moves(moves, stage, automatic)
        return res

    def _relationship_record_moves(self, moves, stage, automatic):
        """History rows and playbook activities for partners entering ``stage``."""
        ctx = self.env.context
        now = fields.Datetime.now()
        history = (
            self.env["crm.relationship.stage.history"]
            .sudo()
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": (partner.company_id or self.env.company).id,
                        "from_stage_id": moves[partner].id,
                        "to_stage_id": stage.id,
                        "date": now,
                        "user_id": self.env.uid,
                        "automatic": automatic,
                        "reason_id": ctx.get("relationship_reason_id"),
                        "note": ctx.get("relationship_note"),
                    }
                    for partner in self
                ]
            )
        )
        if stage.activity_type_id:
            # a first placement (existing customers placed at install or by the
            # first run of the rules) is not an event to act on: no playbook
            history.filtered("from_stage_id")._relationship_schedule_playbook()
        return history

    # ------------------------------------------------------------------
    # Automatic rules
    # ------------------------------------------------------------------
    def _relationship_fetch_stats(self, today=None):
        """Order statistics of commercial partners, in one SQL aggregate.

        Returns ``{partner_id: dict(first, last, count, gaps_median, revenue,
        quotations)}`` with dates as ``date``, the median gap between confirmed
        orders in days and the revenue of the 12 months before ``today`` in
        company currency, net of posted customer refunds (never below zero:
        refunds of older purchases do not make a customer cost money).
        """
        today = today or fields.Date.context_today(self)
        since = today - timedelta(days=365)
        self.env["sale.order"].flush_model()
        self.env["account.move"].flush_model()
        self.env["res.partner"].flush_model(
            [
                "commercial_partner_id",
                "company_id",
                "relationship_stage_id",
                "relationship_stage_locked",
            ]
        )
        query = SQL(
            """
            WITH orders AS (
                SELECT p.commercial_partner_id AS partner_id,
                       so.date_order,
                       so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1.0)
                           AS amount
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state = 'sale'
                   AND p.commercial_partner_id = ANY(%(ids)s)
            ), gaps AS (
                SELECT partner_id, date_order, amount,
                       EXTRACT(EPOCH FROM date_order - LAG(date_order) OVER (
                           PARTITION BY partner_id ORDER BY date_order)) / 86400.0
                           AS gap_days
                  FROM orders
            ), agg AS (
                SELECT partner_id,
                       MIN(date_order)::date AS first_date,
                       MAX(date_order)::date AS last_date,
                       COUNT(*) AS order_count,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY gap_days)
                           AS median_gap,
                       COALESCE(SUM(amount) FILTER (WHERE date_order >= %(since)s), 0)
                           AS revenue
                  FROM gaps
                 GROUP BY partner_id
            ), refunds AS (
                SELECT am.commercial_partner_id AS partner_id,
                       SUM(am.amount_untaxed_signed) AS refunded
                  FROM account_move am
                 WHERE am.move_type = 'out_refund'
                   AND am.state = 'posted'
                   AND am.invoice_date >= %(since)s
                   AND am.commercial_partner_id = ANY(%(ids)s)
                 GROUP BY am.commercial_partner_id
            ), quotes AS (
                SELECT p.commercial_partner_id AS partner_id, COUNT(*) AS quotations
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state IN ('draft', 'sent')
                   AND p.commercial_partner_id = ANY(%(ids)s)
                 GROUP BY p.commercial_partner_id
            )
            SELECT ids.id, agg.first_date, agg.last_date,
                   COALESCE(agg.order_count, 0), agg.median_gap,
                   GREATEST(
                       COALESCE(agg.revenue, 0) + COALESCE(refunds.refunded, 0), 0
                   ),
                   COALESCE(quotes.quotations, 0),
                   rp.relationship_stage_id, rp.relationship_stage_locked,
                   rp.company_id
              FROM unnest(%(ids)s::int[]) AS ids(id)
              JOIN res_partner rp ON rp.id = ids.id
              LEFT JOIN agg ON agg.partner_id = ids.id
              LEFT JOIN refunds ON refunds.partner_id = ids.id
              LEFT JOIN quotes ON quotes.partner_id = ids.id
            """,
            ids=list(self.ids),
            since=since,
        )
        self.env.cr.execute(query)
        return {
            row[0]: {
                "first": row[1],
                "last": row[2],
                "count": row[3],
                "median_gap": row[4],
                "revenue": float(row[5] or 0.0),
                "quotations": row[6],
                "stage_id": row[7],
                "locked": bool(row[8]),
                "company_id": row[9],
            }
            for row in self.env.cr.fetchall()
        }

    @api.model
    def _relationship_target_phase(self, stats, company, today):
        """The lifecycle phase the behaviour in ``stats`` calls for.

        Overridable (the scoring addon refines it). ``stats`` is one value of
        :meth:`_relationship_fetch_stats`; ``company`` carries the thresholds.
        """
        count = stats["count"]
        if not count:
            return "exploration" if stats["quotations"] else "prospect"
        idle = (today - stats["last"]).days
        if idle > company.relationship_churn_days:
            return "churned"
        if count >= 2 and stats["median_gap"]:
            limit = company.relationship_decline_factor * stats["median_gap"]
        else:
            limit = company.relationship_decline_days
        if idle > max(limit, 1):
            return "decline"
        span = (stats["last"] - stats["first"]).days
        if (
            count >= company.relationship_stability_min_orders
            and span >= company.relationship_stability_min_days
        ):
            return "stability"
        return "formation"

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
        partners._relationship_store_stats(stats, today)
        return partners._relationship_move_stages(stats, today)

    def _relationship_move_stages(self, stats, today):
        """Move the unlocked partners of ``self`` to the stage their ``stats``
        call for: one write per target stage. Returns ``{stage: [ids]}``."""
        stages = self.env["crm.relationship.stage"]._stages_by_phase()
        companies = {False: self.env.company, None: self.env.company}
        targets = {}
        first = set()
        # the stage, lock and company come with the statistics (no ORM read)
        for partner_id in self.ids:
            values = stats[partner_id]
            if values["locked"]:
                continue
            company = companies.get(values["company_id"])
            if company is None:
                company = companies[values["company_id"]] = self.env[
                    "res.company"
                ].browse(values["company_id"])
            phase = self._relationship_target_phase(values, company, today)
            stage = stages.get(phase)
            if stage and values["stage_id"] != stage.id:
                targets.setdefault(stage, []).append(partner_id)
                if not values["stage_id"]:
                    first.add(partner_id)
        for stage, ids in targets.items():
            movers = self.browse(ids).with_context(relationship_automatic=True)
            # a first placement is recorded in the history, not in the chatter
            placed = movers.browse([pid for pid in ids if pid in first])
            (movers - placed).write({"relationship_stage_id": stage.id})
            placed.with_context(tracking_disable=True).write(
                {"relationship_stage_id": stage.id}
            )
        return targets

    def _relationship_store_stats(self, stats, today):
        ids = list(stats)
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner p
                   SET relationship_first_order_date = v.first_date,
                       relationship_last_order_date = v.last_date,
                       relationship_order_count = v.order_count,
                       relationship_revenue_12m = v.revenue,
                       relationship_rules_date = %s
                  FROM unnest(%s::int[], %s::date[], %s::date[], %s::int[],
                              %s::numeric[])
                       AS v(id, first_date, last_date, order_count, revenue)
                 WHERE p.id = v.id
                   AND (p.relationship_rules_date IS DISTINCT FROM %s
                        OR p.relationship_first_order_date IS DISTINCT FROM v.first_date
                        OR p.relationship_last_order_date IS DISTINCT FROM v.last_date
                        OR p.relationship_order_count IS DISTINCT FROM v.order_count
                        OR p.relationship_revenue_12m IS DISTINCT FROM v.revenue)
                """,
                today,
                ids,
                [stats[i]["first"] for i in ids],
                [stats[i]["last"] for i in ids],
                [stats[i]["count"] for i in ids],
                [stats[i]["revenue"] for i in ids],
                today,
            )
        )
        self.browse(ids).invalidate_recordset(list(STATS_FIELDS))

    @api.model
    def _relationship_auto_commit(self):
        """Commit between batches only inside a real scheduled-action worker."""
        return bool(self.env.context.get("cron_id")) and not getattr(
            threading.current_thread(), "testing", False
        )

    @api.model
    def _relationship_rule_domain(self):
        return [("parent_id", "=", False), ("relationship_stage_locked", "=", False)]

    @api.model
    def _cron_relationship_rules(self, batch_size=500):
        """Daily job: stage rules and tiers for every commercial partner.

        Processes the partners not yet evaluated today by increasing id in
        batches, committing each batch (in a scheduled-action worker) and
        reporting progress. A crash loses at most the batch in flight: the next
        run resumes with the partners still to do.
        """
        today = fields.Date.context_today(self)
        partners = self.search(
            self._relationship_rule_domain()
            + [
                "|",
                ("relationship_rules_date", "=", False),
                ("relationship_rules_date", "<", today),
            ],
            order="id",
        )
        cron = self.env["ir.cron"]
        done = 0
        for start in range(0, len(partners), batch_size):
            batch = partners[start : start + batch_size]
            batch._relationship_apply_rules(today)
            done += len(batch)
            cron._notify_progress(done=done, remaining=len(partners) - done)
            if self._relationship_auto_commit():  # pragma: no cover
                self.env.cr.commit()  # pylint: disable=invalid-commit
        for company in self.env["res.company"].search([]):
            self.with_company(company)._relationship_assign_tiers()
        return done

    # ------------------------------------------------------------------
    # Tiers
    # ------------------------------------------------------------------
    @api.model
    def _relationship_tier_values(self, partners):
        """Per-partner ``(value, revenue_12m)`` used to assign tiers.

        The base addon ranks by revenue of the last 12 months; the scoring
        addon extends this with customer lifetime value. Read in one query:
        the tiers of a whole company are assigned at once.
        """
        partners.flush_recordset(["relationship_revenue_12m"])
        self.env.cr.execute(
            SQL(
                "SELECT id, relationship_revenue_12m FROM res_partner "
                "WHERE id = ANY(%s)",
                partners.ids,
            )
        )
        return {
            pid: (float(revenue or 0.0), float(revenue or 0.0))
            for pid, revenue in self.env.cr.fetchall()
        }

    @api.model
    def _relationship_assign_tiers(self):
        """Assign tiers to the current company's customers, respecting locks.

        The customers and their current tiers are read in one query, and only
        the customers whose tier changes are written, one write per tier. A
        first assignment (no tier yet) is not posted in the chatter, like a
        first stage placement; a change of tier is tracked.
        """
        company = self.env.company
        self.flush_model(
            [
                "parent_id",
                "company_id",
                "active",
                "relationship_order_count",
                "value_tier_id",
                "value_tier_locked",
            ]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT id, value_tier_id, value_tier_locked
                  FROM res_partner
                 WHERE parent_id IS NULL
                   AND active
                   AND (company_id = %s OR company_id IS NULL)
                   AND relationship_order_count > 0
                """,
                company.id,
            )
        )
        rows = self.env.cr.fetchall()
        partners = self.browse([pid for pid, _tier, _locked in rows])
        values = self._relationship_tier_values(partners)
        assignment = self.env["crm.relationship.tier"]._assign(values, company)
        by_tier = {}
        for pid, current, locked in rows:
            if locked:
                continue
            tier = assignment.get(pid, self.env["crm.relationship.tier"])
            if (current or False) != (tier.id or False):
                by_tier.setdefault((tier, not current), []).append(pid)
        moved = {}
        for (tier, first), ids in by_tier.items():
            movers = self.browse(ids)
            if first:
                movers = movers.with_context(tracking_disable=True)
            movers.write({"value_tier_id": tier.id})
            moved.setdefault(tier, []).extend(ids)
        return moved

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _relationship_reason_required(self, stage):
        """Whether moving ``self`` by hand to ``stage`` needs a reason."""
        if stage.phase not in REASON_PHASES:
            return False
        companies = self.mapped("company_id") or self.env.company
        return any(companies.mapped("relationship_require_reason"))

    def action_relationship_change_stage(self):
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

        Returns ``False`` when the kanban may write the stage itself.
        """
        stage = self.env["crm.relationship.stage"].browse(stage_id).exists()
        if not stage or not self._relationship_reason_required(stage):
            return False
        action = self.action_relationship_change_stage()
        action["context"]["default_stage_id"] = stage.id
        return action

    def action_relationship_apply_rules(self):
        self._relationship_apply_rules()
        return True
