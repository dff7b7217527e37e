"""Products bought together, and the nightly job computing them.

How it works (per company, see :meth:`CrmRelationshipProductAffinity.
_refresh_affinities`)::

    order lines of the confirmed orders of the scoring window
        -- one SQL aggregate: (order, customer, product), distinct -->
    numpy index arrays -> two sparse binary matrices
        baskets (order x product)  and  customers (customer x product)
        -- engine/affinity.py: associations(), once per pass -->
    rules A -> B (count, support, confidence, lift)
        -> crm.relationship.product.affinity   (delete + insert, per company)
        -- suggestions(), one range of customer ids at a time -->
    crm.relationship.product.suggestion         (delete + insert, per range,
                                                 committed with the progress)

The numbers are in ``engine/affinity.py``; this file extracts, drives the
passes and writes back.
"""

import logging
import time
from datetime import datetime, timedelta

import numpy as np

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import column_exists

from ..engine import affinity

_logger = logging.getLogger(__name__)

#: code of the job in crm.relationship.job.failure (its progress is kept per
#: company under ``<code>.<company id>``)
AFFINITY_JOB = "crm_relationship_scoring.affinity"
AFFINITY_CRON = "crm_relationship_scoring.ir_cron_relationship_affinity"
#: customers whose suggestions are written and committed per batch
BATCH_SIZE = 5000
#: rows of the extraction fetched at a time
FETCH_CHUNK = 100_000
#: consequents kept per product (the strongest): the "Bought Together" report
#: and the candidates of the suggestions
MAX_PER_PRODUCT = 20
#: order lines that are not a purchase of the product when these optional
#: columns (delivery, sale_loyalty) exist and are set
OPTIONAL_LINE_FLAGS = ("is_delivery", "is_reward_line")


class CrmRelationshipProductAffinity(models.Model):
    """One rule "customers who buy this product also buy that one" of a
    company, computed every night from the confirmed orders of the scoring
    window (one order = one basket).

    Written by the job only (as superuser, by SQL): relationship users and
    administrators read them, nobody writes them through the ORM.
    """

    _name = "crm.relationship.product.affinity"
    _description = "Products Bought Together"
    _order = "company_id, product_id, confidence desc, order_count desc, id"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    related_product_id = fields.Many2one(
        "product.product",
        string="Also Bought",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    order_count = fields.Integer(
        string="Orders Together",
        readonly=True,
        aggregator="sum",
        help="Confirmed orders of the scoring window holding both products.",
    )
    support = fields.Float(
        digits=(16, 4),
        readonly=True,
        aggregator="max",
        help="Share of the confirmed orders of the scoring window holding both "
        "products.",
    )
    confidence = fields.Float(
        digits=(16, 4),
        readonly=True,
        aggregator="max",
        help="Share of the orders holding the product that also hold the other one.",
    )
    lift = fields.Float(
        digits=(16, 2),
        readonly=True,
        aggregator="max",
        help="How many times more likely the other product is in an order that "
        "holds this one than in any order (1 = no association).",
    )

    _sql_constraints = [
        (
            "company_pair_uniq",
            "UNIQUE(company_id, product_id, related_product_id)",
            "A pair of products has one association per company.",
        ),
    ]

    @api.depends("product_id", "related_product_id")
    def _compute_display_name(self):
        for rule in self:
            rule.display_name = " → ".join(
                (rule.product_id.display_name, rule.related_product_id.display_name)
            )

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------
    @api.model
    def _cron_refresh_affinities(self, batch_size=BATCH_SIZE):
        """Scheduled action: products bought together and suggested products
        of every company (:meth:`_refresh_affinities`), time-boxed and
        reported by ``crm.relationship.job.failure._run_cron_job``."""
        return self.env["crm.relationship.job.failure"]._run_cron_job(
            AFFINITY_JOB,
            self.env._("Products bought together"),
            lambda deadline: self._refresh_affinities(
                batch_size=batch_size, deadline=deadline
            ),
        )

    @api.model
    def _refresh_affinities(
        self, companies=None, batch_size=BATCH_SIZE, deadline=None, force=False
    ):
        """Recompute the affinities and suggestions of ``companies`` (all by
        default), one company after the other.

        Per company and pass: one extraction (:meth:`_affinity_extract`) and
        one call of the engine's ``associations``; when the company's work of
        the day starts, its affinities are replaced (:meth:`_affinity_write`).
        Then the suggestions are written by ranges of ``batch_size``
        customers by increasing id
        (``crm.relationship.product.suggestion._suggestion_replace_range``),
        each range committed with the last id it covers
        (``crm.relationship.job.failure._job_save_progress``, one progress
        per company): a crash or a kill loses at most the range in flight and
        the next call resumes after the last committed one. The window ends
        yesterday (see :meth:`_affinity_query`), so every pass of a day reads
        the same orders and a run over several passes writes what one pass
        would. With a ``deadline`` (``time.monotonic()``) the call stops
        after the range that passes it (at least one range per call), reports
        the work left and triggers the scheduled action again. Once a
        company is done for the day, further calls skip it, unless
        ``force``.

        Returns the customers whose suggestions were written by this call.
        """
        Jobs = self.env["crm.relationship.job.failure"]
        today = fields.Date.context_today(self)
        if companies is None:
            companies = self.env["res.company"].search([], order="id")
        state = {"done": 0, "worked": False}
        for company in companies:
            job = f"{AFFINITY_JOB}.{company.id}"
            if force:
                Jobs._job_save_progress(job, today, 0)
            after = Jobs._job_progress(job, today)
            if after is None:
                continue  # today's work of the company is done
            if self._affinity_out_of_time(state, deadline):
                Jobs._job_continue_later(AFFINITY_CRON, state["done"], 1)
                return state["done"]
            finished = self._refresh_company(
                company, today, after, batch_size, deadline, state
            )
            if not finished:
                return state["done"]
        return state["done"]

    @api.model
    def _refresh_company(self, company, today, after, batch_size, deadline, state):
        """One pass over ``company`` from the customer id ``after``; see
        :meth:`_refresh_affinities`. Returns whether the company is done."""
        Jobs = self.env["crm.relationship.job.failure"]
        Suggestion = self.env["crm.relationship.product.suggestion"]
        job = f"{AFFINITY_JOB}.{company.id}"
        started = time.monotonic()
        data = self._affinity_extract(company, today)
        assoc = affinity.associations(
            data["baskets"],
            min_count=company.relationship_affinity_min_orders,
            min_lift=company.relationship_affinity_min_lift,
            max_per_product=MAX_PER_PRODUCT,
        )
        if not after:
            self._affinity_write(company, data["products"], assoc)
            self._affinity_commit()
        top = max(company.relationship_suggestion_count, 0)
        partners, owned = data["partners"], data["customers"]
        first = int(np.searchsorted(partners, after, side="right"))
        starts = list(range(first, partners.size, batch_size)) or [first]
        for number, start in enumerate(starts):
            if self._affinity_out_of_time(state, deadline):
                Jobs._job_continue_later(
                    AFFINITY_CRON, state["done"], int(partners.size - start)
                )
                return False
            stop = min(start + batch_size, partners.size)
            last = number == len(starts) - 1
            high = None if last else int(partners[stop - 1])
            found = (
                affinity.suggestions(owned[start:stop], assoc, top=top)
                if top and stop > start
                else None
            )
            Suggestion._suggestion_replace_range(
                company, after, high, partners[start:stop], data["products"], found
            )
            # the progress is committed with the range: a crash resumes after it
            Jobs._job_save_progress(job, today, high)
            after = high
            state["done"] += stop - start
            state["worked"] = True
            self.env["ir.cron"]._notify_progress(
                done=state["done"], remaining=int(partners.size - stop)
            )
            self._affinity_commit()
        _logger.info(
            "Products bought together of %s: %d orders, %d rules, %d customers "
            "in %.1f s",
            company.name,
            assoc.n_baskets,
            len(assoc),
            partners.size,
            time.monotonic() - started,
        )
        return True

    @api.model
    def _affinity_out_of_time(self, state, deadline):
        """Past the deadline after at least one range of this call."""
        return state["worked"] and deadline is not None and time.monotonic() > deadline

    @api.model
    def _affinity_commit(self):
        if self.env["crm.relationship.job.failure"]._auto_commit():  # pragma: no cover
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # ------------------------------------------------------------------
    # Extraction
    # ------------------------------------------------------------------
    @api.model
    def _affinity_query(self, company, today):
        """Distinct ``(order, customer, product)`` of the order lines of the
        company's confirmed orders of the scoring window.

        The window is the ``relationship_score_lookback_days`` days before
        ``today`` (today excluded: every pass of a day reads the same orders,
        an order confirmed today counts from tomorrow). The customer is the
        commercial partner. A line counts when it sells a product: no section
        or note, no down payment, a positive quantity, a price that is not
        negative (rewards and promotions are), a product that can be sold and
        is active; when the delivery or loyalty addons add their flags, no
        delivery charge and no reward.
        """
        cr = self.env.cr
        since = today - timedelta(days=company.relationship_score_lookback_days)
        flags = [
            SQL("NOT COALESCE(%s, FALSE)", SQL.identifier("sol", column))
            for column in OPTIONAL_LINE_FLAGS
            if column_exists(cr, "sale_order_line", column)
        ]
        return SQL(
            """
            SELECT sol.order_id, p.commercial_partner_id, sol.product_id
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner p ON p.id = so.partner_id
              JOIN product_product pp ON pp.id = sol.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE so.state = 'sale'
               AND so.company_id = %(company)s
               AND so.date_order >= %(since)s
               AND so.date_order < %(until)s
               AND sol.display_type IS NULL
               AND NOT COALESCE(sol.is_downpayment, FALSE)
               AND sol.product_uom_qty > 0
               AND sol.price_unit >= 0
               AND pp.active AND pt.active AND pt.sale_ok
               AND %(flags)s
             GROUP BY sol.order_id, p.commercial_partner_id, sol.product_id
            """,
            company=company.id,
            since=datetime.combine(since, datetime.min.time()),
            until=datetime.combine(today, datetime.min.time()),
            flags=SQL(" AND ").join(flags) if flags else SQL("TRUE"),
        )

    @api.model
    def _affinity_extract(self, company, today):
        """The engine's inputs of ``company``: ``baskets`` (order x product)
        and ``customers`` (customer x product) binary CSR matrices over one
        product index, with the ids behind the indices: ``partners`` and
        ``products`` (sorted int64 arrays). Rows are fetched in chunks into
        arrays (memory of one chunk of Python tuples)."""
        self.env["sale.order"].flush_model(["state", "company_id", "date_order"])
        self.env["sale.order.line"].flush_model(
            [
                "order_id",
                "product_id",
                "display_type",
                "is_downpayment",
                "product_uom_qty",
                "price_unit",
            ]
        )
        self.env["product.product"].flush_model(["active", "product_tmpl_id"])
        self.env["product.template"].flush_model(["active", "sale_ok"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        cr = self.env.cr
        cr.execute(self._affinity_query(company, today))
        chunks = []
        while rows := cr.fetchmany(FETCH_CHUNK):
            chunks.append(np.asarray(rows, dtype=np.int64).reshape(-1, 3))
        table = np.concatenate(chunks) if chunks else np.zeros((0, 3), np.int64)
        del chunks
        orders, order_codes = affinity.encode(table[:, 0])
        partners, partner_codes = affinity.encode(table[:, 1])
        products, product_codes = affinity.encode(table[:, 2])
        del table
        return {
            "baskets": affinity.binary_matrix(
                order_codes, product_codes, shape=(orders.size, products.size)
            ),
            "customers": affinity.binary_matrix(
                partner_codes, product_codes, shape=(partners.size, products.size)
            ),
            "partners": partners,
            "products": products,
        }

    # ------------------------------------------------------------------
    # Write-back
    # ------------------------------------------------------------------
    @api.model
    def _affinity_write(self, company, products, assoc):
        """Replace the affinities of ``company`` by ``assoc``: one DELETE and
        one ``INSERT ... SELECT unnest``.

        Delete + insert rather than only what changed: the rules are
        recomputed as a whole from a sliding window, so nearly every kept
        rule's figures move a little every night and a comparison would
        rewrite most rows anyway, after reading them; the table is small
        (at most ``MAX_PER_PRODUCT`` rows per product) and the replacement is
        atomic (committed at once, readers see the old or the new set).
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                "DELETE FROM crm_relationship_product_affinity WHERE company_id = %s",
                company.id,
            )
        )
        if len(assoc):
            cr.execute(
                SQL(
                    """
                    INSERT INTO crm_relationship_product_affinity
                           (company_id, product_id, related_product_id,
                            order_count, support, confidence, lift,
                            create_uid, create_date, write_uid, write_date)
                    SELECT %(company)s, r.product_id, r.related_id, r.order_count,
                           r.support, r.confidence, r.lift,
                           %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM unnest(%(product)s::int[], %(related)s::int[],
                                  %(count)s::int[], %(support)s::float8[],
                                  %(confidence)s::float8[], %(lift)s::float8[])
                           AS r(product_id, related_id, order_count, support,
                                confidence, lift)
                    """,
                    company=company.id,
                    uid=self.env.uid,
                    now=fields.Datetime.now(),
                    product=products[assoc.antecedent].tolist(),
                    related=products[assoc.consequent].tolist(),
                    count=assoc.count.tolist(),
                    support=assoc.support.tolist(),
                    confidence=assoc.confidence.tolist(),
                    lift=assoc.lift.tolist(),
                )
            )
        self.invalidate_model()
