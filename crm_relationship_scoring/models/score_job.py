"""The scoring job of one company: extract, engine, write-back.

How it works
============
:class:`ScoreJob` is a plain class (like OCA mis_builder's ``aep.py`` beside
``mis_report.py``): the model ``crm.relationship.score.run`` keeps the fields
of a run, the entry points (scheduled action, *Recompute now*), the lock, the
retention and the actions, and hands each company to :meth:`ScoreJob.run`:

1. **Extract** (:meth:`ScoreJob.extract`): the confirmed orders of the
   company's customers, read once per pass with one binary ``COPY`` (one row
   per order) into numpy arrays and aggregated into the order facts (per
   customer, company and order day, ``engine/facts.py``, the aggregate of
   the base addon's order facts query); from them, in numpy, the engine's
   inputs over the scoring window (net of the posted refunds), the holdout
   check's inputs, the time spent choosing and the order statistics of the
   stage rules (one value per customer, by increasing partner id). No
   aggregate over the orders runs in the database. A large base is read by
   ranges of customers and summarised by pieces of customers; the facts are
   released before the engine runs.
2. **Engine** (:meth:`ScoreJob.evaluate`): the pure numpy engine
   (``engine/``: BG/NBD + Gamma-Gamma fitted on sufficient statistics, RFM
   bins and segments, churn risk, health) on those arrays; nothing in it
   knows Odoo. Its results are copied into a temporary table with one
   ``COPY`` (:meth:`ScoreJob.stage_values`). The holdout check of the
   model (:meth:`ScoreJob.store_calibration`: one more fit,
   ``engine/calibration.py``) is stored on the run.
3. **Write-back** (:meth:`ScoreJob.write_batch`), in batches of customers by
   increasing id, each committed in a scheduled-action worker: from the
   staged values, one UPDATE of the batch's rows of ``crm.relationship.score``
   whose figures changed and one INSERT of the new ones; the order figures
   of the base addon stored on the partners whose figures changed, the stage
   rules of the base addon (refined by P(alive)) moving only the customers
   whose stage changes, and the run's ``last_partner_id`` where a crash or
   the end of a time-boxed pass resumes. Nothing is stamped on
   ``res_partner``.
4. **After the batches** (last pass only): the score rows of customers no
   longer scored are deleted, tiers are assigned (only changed tiers are
   written), one statement records the history rows (changes of segment, risk
   level, tier or stage, and checkpoints), and the owners of valuable
   customers at risk get one activity each.

A pass that runs out of its time budget returns after a whole batch; the run
stays ``running`` and the next call repeats extraction and engine (cheap, see
``make bench``) and writes the customers after ``last_partner_id``.

Memory: the largest arrays are the order facts (about 50 bytes per customer
and order day); every other array holds one value per customer, and the score
values are staged one column at a time. ``make bench`` with
``BENCH_PARTNERS=1000000`` prints the peak.
"""

import io
import logging
import time
from datetime import date, timedelta

import numpy as np
import psycopg2

from odoo import fields
from odoo.tools import SQL

from odoo.addons.crm_relationship.models.crm_relationship_complaint_stage import (
    OPEN_STATES,
)
from odoo.addons.crm_relationship.models.res_partner import STATS_FIELDS, id_array

from ..engine import (
    calibration,
    churn,
    clv,
    facts,
    health,
    loyalty,
    next_order,
    rfm,
)
from .res_partner import SCORE_FIELDS, SCORE_LINK_FIELDS

_logger = logging.getLogger(__name__)

#: temporary table of the score figures of one pass (see ScoreJob.stage_values)
VALUES_TABLE = "crm_relationship_score_values"
#: the temporary table of the order figures the batches of a first run write,
#: which ScoreJob.plan_first_tiers ranks the customers by
PENDING_TABLE = "crm_relationship_tier_pending"
#: customer ids whose history one statement records (one commit each): a
#: statement reads its range of the score rows and of the partners (a scan of
#: both tables when the range is most of them), and a first run writes a row
#: per customer of the range (about 15 s for 100,000 on the benchmark's
#: machine, well within a scheduled action's time)
HISTORY_RANGE = 100_000
#: customers whose score figures one COPY stages (ScoreJob.stage_values)
STAGE_CHUNK = 50_000
#: the engine's results the batches and the end of a pass read (the others
#: are staged, then released)
PASS_RESULTS = ("p_alive", "risk", "overdue", "clv")
#: the figures that change on most nights (a customer ages a day): compared
#: first, so that the test of a changed row stops at its first column
NIGHTLY_FIGURES = ("p_alive", "churn_risk", "expected_purchases", "clv_value")
#: confirmed orders (about) read and aggregated at a time into the order
#: facts (ScoreJob.prepare_facts): bounds the memory of a large base
ORDER_CHUNK = 2_000_000
#: the partner columns of a batch read by ScoreJob.stored_figures (binary
#: COPY): name, binary type, type of the array
STORED_COLUMNS = (
    ("id", ">i4", np.int64),
    ("stage", ">i4", np.int64),
    ("locked", ">i4", np.int8),
    ("company", ">i4", np.int64),
    ("first", ">i4", np.int64),
    ("last", ">i4", np.int64),
    ("orders", ">f8", np.float64),
    ("revenue", ">f8", np.float64),
    ("has_revenue", ">i4", np.int8),
    ("alone", ">i4", np.int8),
)
#: the columns of the stage rules (res.partner._relationship_rule_columns)
RULE_KEYS = (
    "count",
    "quotations",
    "first",
    "last",
    "median_gap",
    "stage_id",
    "locked",
    "company_id",
)
#: summary of the at-risk activities (also searched untranslated)
AT_RISK_SUMMARY = "Valuable customer at risk"
#: day 0 of the order facts' days (PostgreSQL's binary dates)
EPOCH = date(2000, 1, 1)


def day_number(day):
    """``day`` (a date) as a day of the order facts (:mod:`.facts`)."""
    return (day - EPOCH).days


class StagedColumn:
    """One column of the staged score values (:meth:`ScoreJob.stage_values`)
    in a binary COPY: ``binary`` (a numpy array of the PostgreSQL binary
    type), ``staging_type`` (the column type of the temporary table) and
    ``read`` (the SQL expression that reads it back as ``kind``, the type of
    the score field). NULL is never sent: a NaN (float), ``-infinity``
    (date) or code 0 (text) stands for it and ``read`` turns it back."""

    def __init__(self, name, values, kind):
        column = SQL.identifier("v", name)
        if kind in ("int4", "bool"):
            self.binary = np.asarray(values, dtype=">i4" if kind == "int4" else "?")
            self.staging_type, self.read = kind, column
        elif kind in ("float8", "numeric"):
            values = np.asarray(values)
            if values.dtype == object:
                values = np.array(
                    [np.nan if v is None else v for v in values.tolist()], float
                )
            self.binary = values.astype(">f8")
            self.staging_type = "float8"
            self.read = SQL("NULLIF(%s, 'NaN'::float8)", column)
            if kind == "numeric":
                self.read = SQL("(%s)::numeric", self.read)
        elif kind == "date":
            values = np.asarray(values, dtype="datetime64[D]")
            days = (values - np.datetime64(EPOCH, "D")).astype(np.int64)
            days[np.isnat(values)] = np.iinfo(np.int32).min  # -infinity
            self.binary = days.astype(">i4")
            self.staging_type = "date"
            self.read = SQL("NULLIF(%s, '-infinity'::date)", column)
        elif kind == "varchar":
            values = np.asarray(values)
            if values.dtype.kind in "iu":
                # numbers stored as texts (the RFM code): coded as numbers
                numbers, inverse = np.unique(values, return_inverse=True)
                words = [str(number) for number in numbers.tolist()]
                self.binary = (inverse.reshape(-1) + 1).astype(">i4")
            else:
                texts = values.tolist()
                distinct = set(texts) - {None}
                words = sorted({str(value) for value in distinct})
                position = {word: i for i, word in enumerate(words, start=1)}
                code = {value: position[str(value)] for value in distinct}
                code[None] = 0
                self.binary = np.array([code[value] for value in texts], dtype=">i4")
            self.staging_type = "int4"
            # code 0 is out of the (1-based) array: NULL
            self.read = SQL("(%s::varchar[])[%s]", words, column)
        else:
            raise ValueError(f"unknown staged type {kind}")


def binary_copy(columns):
    """A ``COPY ... FROM STDIN (FORMAT binary)`` stream of rows made of the
    numpy arrays ``columns`` (PostgreSQL binary types, no NULL)."""
    n = len(columns[0]) if columns else 0
    fields = [("count", ">i2")]
    for i, values in enumerate(columns):
        fields += [(f"l{i}", ">i4"), (f"v{i}", values.dtype)]
    rows = np.empty(n, dtype=np.dtype(fields))
    rows["count"] = len(columns)
    for i, values in enumerate(columns):
        rows[f"l{i}"] = values.dtype.itemsize
        rows[f"v{i}"] = values
    header = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
    return header + rows.tobytes() + b"\xff\xff"


class ScoreJob:
    """Scores the customers of one company for a run (see the module)."""

    def __init__(self, runs):
        #: the ``crm.relationship.score.run`` model, in the job's environment
        self.runs = runs
        self.staged_columns = []
        #: the order facts of the pass (engine/facts.py), see prepare_facts
        self.facts = None
        #: the order statistics of the pass, see order_statistics
        self.statistics = None
        self.statistics_net = None
        #: the customers with a score row of the company when the pass
        #: began (increasing ids), see scored_ids
        self.scored = None
        #: per customer of :attr:`scored`: its row said its next order was
        #: not overdue, see scored_ids
        self.on_time = None
        #: the inputs of the holdout check, see calibration_summary
        self.calibration_inputs = None
        #: the first tiers planned for the batches, see plan_first_tiers
        self.first_tiers = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))

    @property
    def env(self):
        return self.runs.env

    def copy_out(self, copy, columns):
        """Run ``copy`` (``COPY (...) TO STDOUT (FORMAT binary)``, an SQL) and
        return its rows decoded as arrays (:class:`.facts.BinaryCopy` of
        ``columns``): no Python object per row."""
        sink = facts.BinaryCopy(columns)
        cr = self.env.cr
        cr._obj.copy_expert(cr._obj.mogrify(copy.code, copy.params), sink)
        return sink.result()

    def copy_in(self, table, columns):
        """Append to ``table`` (an SQL identifier) the rows made of the numpy
        arrays ``columns`` (PostgreSQL binary types, no NULL) with one binary
        ``COPY``."""
        stream = binary_copy(columns)
        self.env.cr._obj.copy_expert(
            SQL("COPY %s FROM STDIN (FORMAT binary)", table).code, io.BytesIO(stream)
        )

    def temporary_table(self, name, columns):
        """(Re)create the temporary table ``name`` with the ``columns`` (an
        SQL list of column definitions)."""
        table = SQL.identifier(name)
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", table))
        self.env.cr.execute(SQL("CREATE TEMPORARY TABLE %s (%s)", table, columns))
        return table

    def run(self, company, today, force, batch_size, progress):
        """Score ``company`` for today's run (see the module); return the run."""
        try:
            return self._run(company, today, force, batch_size, progress)
        finally:
            self.drop_facts()

    def _run(self, company, today, force, batch_size, progress):
        run, todo = self.runs._score_prepare_run(company, today, force)
        if not todo:
            _logger.info(
                "Relationship scores: %s already scored on %s", company.name, today
            )
            return run
        self.runs._score_commit()
        timing = {"extract": 0.0, "engine": 0.0, "write": 0.0, "rules": 0.0}
        start = time.perf_counter()
        data = self.extract(company, today)
        # everything the pass needs from the order facts is computed (the
        # engine's inputs, the holdout check's, the statistics of the stage
        # rules): the facts, the largest arrays of the pass, are released
        # before the engine runs
        self.facts = None
        timing["extract"] = time.perf_counter() - start
        start = time.perf_counter()
        result = self.evaluate(company, data, today) if data["n"] else None
        timing["engine"] = time.perf_counter() - start
        run.write(self.run_values(data, result))
        # the holdout check of the model: one aggregate and one more fit,
        # timed on its own (calibration_time, part of the run time), not as
        # the engine's step of the night
        self.store_calibration(run, company, today, result)
        if result:
            start = time.perf_counter()
            self.stage_values(run, data, result)
            self.scored = self.scored_ids(company)
            timing["write"] += time.perf_counter() - start
            start = time.perf_counter()
            self.first_tiers = self.plan_first_tiers(company, data["ids"])
            timing["rules"] += time.perf_counter() - start
            # the figures are staged: the batches and the end of the pass
            # read only these (the other per-customer arrays are released)
            data = {key: data[key] for key in ("n", "ids", "net")}
            result = {key: result[key] for key in PASS_RESULTS}
        # resume after the last customer written by this run (batches go by
        # increasing partner id): tracked on the run, nothing on the partners
        resume_after = run.last_partner_id
        todo = [i for i, pid in enumerate(data["ids"]) if pid > resume_after]
        cron = self.env["ir.cron"]
        # the rules of the base addon read a few fields of many partners: do not
        # prefetch all the columns of res.partner for them
        Partner = (
            self.env["res.partner"]
            .with_company(company)
            .with_context(prefetch_fields=False)
        )
        deadline = progress.get("deadline")
        for start_index in range(0, len(todo), batch_size):
            if start_index and deadline is not None and time.monotonic() > deadline:
                # out of time: the run stays "running"; the next call resumes
                # it with the customers not written yet (whole batches only)
                return self.stop_unfinished(
                    run, company, timing, progress, len(todo) - start_index
                )
            rows = todo[start_index : start_index + batch_size]
            partners = Partner.browse([data["ids"][i] for i in rows])
            start = time.perf_counter()
            rules, changed = self.batch_stats(partners, today)
            if result:
                rules["p_alive"] = np.asarray(result["p_alive"])[rows]
            # customers without a stage yet (all on the first run) are placed
            # with their order figures: one new version of their row
            first = {
                pid: stage_id
                for pid, stage_id in partners._relationship_first_stages(
                    rules, today
                ).items()
                if pid in changed
            }
            tiers = self.first_tiers_of(list(changed))
            timing["rules"] += time.perf_counter() - start
            start = time.perf_counter()
            placed = self.write_batch(
                run, company, data, result, rows, changed, first, tiers
            )
            timing["write"] += time.perf_counter() - start
            start = time.perf_counter()
            partners._relationship_placed_and_moved(placed, rules, today, first)
            self.env.flush_all()
            timing["rules"] += time.perf_counter() - start
            progress["done"] += len(rows)
            cron._notify_progress(
                done=progress["done"], remaining=len(todo) - start_index - len(rows)
            )
            self.runs._score_commit()
            # keep the memory bounded: the cache only grows over the batches
            self.env.invalidate_all()
        start = time.perf_counter()
        self.clear_stale(run, company, data["ids"])
        Partner._relationship_assign_tiers()
        self.runs._score_commit()
        if not self.record_history(run, company, today, deadline):
            # out of time within the history: the next call goes on with the
            # customers whose history is not recorded yet
            timing["rules"] += time.perf_counter() - start
            return self.stop_unfinished(run, company, timing, progress, 1)
        activities = self.at_risk_activities(company, data, result, today)
        self.env.flush_all()
        timing["rules"] += time.perf_counter() - start
        times = self.added_times(run, timing)
        run.write(
            {
                "state": "done",
                "date_end": fields.Datetime.now(),
                "activity_count": len(activities),
                **times,
                "run_time": sum(times.values()) + run.calibration_time,
            }
        )
        self.runs._score_retention(company, today)
        self.runs._score_commit()
        return run

    @staticmethod
    def added_times(run, timing):
        """The run's timings plus those of this call (a run done over several
        calls adds the times of each)."""
        return {
            f"time_{name}": run[f"time_{name}"] + timing[name]
            for name in ("extract", "engine", "write", "rules")
        }

    def stop_unfinished(self, run, company, timing, progress, remaining):
        """Out of time: the run stays ``running`` with the times of this call,
        ``progress`` tells the scheduled action that ``remaining`` work is
        left, and the next call resumes the run."""
        progress["remaining"] += remaining
        progress["unfinished"].add(company)
        run.write(self.added_times(run, timing))
        self.runs._score_commit()
        return run

    def prepare_facts(self, company, today):
        """Compute the order facts of the company's customers once per pass:
        the confirmed orders of the customers of ``company`` and of the
        customers shared by the companies (every company's orders),
        :meth:`res.partner._relationship_order_rows_query`, read whole with
        one binary ``COPY`` into arrays and aggregated per customer, company
        and order day in numpy (:meth:`.facts.Facts.from_orders`, the
        aggregate of ``_relationship_order_facts_query``; by ranges of
        customers on a large base, :meth:`customer_ranges`): every per-customer
        figure of the pass (the engine's inputs, the holdout check's, the
        order statistics of the stage rules, the time spent choosing, the
        tolerance of incidents) is computed from them, without another
        aggregate in the database. Released by :meth:`drop_facts`."""
        Partner = self.env["res.partner"]
        Partner._relationship_flush_orders()
        cr = self.env.cr
        cr.execute(Partner._relationship_discounted_pricelists_query())
        discounted = sorted({pricelist_id for (pricelist_id,) in cr.fetchall()})
        parts = [
            self.read_orders(company, discounted, low, high)
            for low, high in self.customer_ranges()
        ]
        self.facts = facts.Facts.concatenate(parts)
        self.statistics = None
        return self.facts

    def customer_ranges(self):
        """Ranges ``[low, high)`` of customer ids whose confirmed orders are
        read and aggregated at a time, about :data:`ORDER_CHUNK` orders each
        (an even split of the partner ids, by PostgreSQL's estimate of the
        orders): one range on most databases; a base of millions of orders
        is read in several, so that the orders of one range only are held
        besides the facts. A customer's orders are all in its range."""
        cr = self.env.cr
        cr.execute(
            "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class "
            "WHERE oid = 'sale_order'::regclass"
        )
        (estimate,) = cr.fetchone()
        cr.execute("SELECT MIN(id), MAX(id) FROM res_partner")
        low, high = cr.fetchone()
        if low is None:
            return []
        count = max(1, -(-int(estimate) // ORDER_CHUNK))
        bounds = np.linspace(low, high + 1, count + 1).round().astype(np.int64)
        return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))

    def read_orders(self, company, discounted, low, high):
        """The order facts of the customers of ids ``[low, high)``: their
        confirmed orders (those of the customers of ``company`` and of the
        customers shared by the companies, every company's orders),
        :meth:`res.partner._relationship_order_rows_query`, read with one
        binary ``COPY`` and aggregated by :meth:`.facts.Facts.from_orders`
        (``discounted``: the pricelists that give a discount)."""
        rows = self.env["res.partner"]._relationship_order_rows_query(
            SQL(
                "(cp.company_id = %s OR cp.company_id IS NULL) "
                "AND cp.id >= %s AND cp.id < %s",
                company.id,
                low,
                high,
            )
        )
        copy = SQL(
            """
            COPY (SELECT partner_id::int4, company_id::int4,
                         COALESCE(partner_company_id, 0)::int4,
                         date_order,
                         COALESCE(amount, 0)::float8,
                         COALESCE(create_date, date_order),
                         COALESCE(pricelist_id, 0)::int4
                    FROM (%s) o)
              TO STDOUT (FORMAT binary)
            """,
            rows,
        )
        return facts.Facts.from_orders(
            self.copy_out(copy, facts.ORDER_COLUMNS), discounted
        )

    def drop_facts(self):
        self.facts = self.statistics = None
        self.env.cr.execute(
            SQL("DROP TABLE IF EXISTS %s", SQL.identifier(VALUES_TABLE))
        )

    def refunds(self, company, since, today):
        """Posted refunds (negative) of ``company`` per customer, invoiced
        from ``since`` to ``today``: ``{partner_id: amount}``."""
        self.env.cr.execute(
            SQL(
                """
                SELECT am.commercial_partner_id,
                       SUM(am.amount_untaxed_signed)::float8
                  FROM account_move am
                 WHERE am.move_type = 'out_refund'
                   AND am.state = 'posted'
                   AND am.company_id = %s
                   AND am.invoice_date >= %s
                   AND am.invoice_date <= %s
                 GROUP BY am.commercial_partner_id
                """,
                company.id,
                since,
                today,
            )
        )
        return dict(self.env.cr.fetchall())

    def extract(self, company, today):
        """Per-customer inputs of the engine, as numpy arrays.

        From the order facts of the pass (:meth:`prepare_facts`,
        :func:`.facts.window_summary`) over the scoring window, with the
        company's posted refunds. Amounts are in company currency, per
        commercial partner and order day; a partner without company is scored
        by the company of its last order of the window. ``frequency`` =
        purchase days - 1, ``recency`` = days between the first and the last
        purchase day, ``T`` = days since the first purchase day, ``monetary``
        = average net value of the repeat purchase days (of the only day for
        one-time buyers), ``recency_days`` = days since the last purchase day,
        ``net`` = net revenue of the window. Refunds are spread over the
        purchase days in proportion to their value.
        """
        self.prepare_facts(company, today)
        since = today - timedelta(days=company.relationship_score_lookback_days)
        summary = facts.window_summary(
            self.facts,
            company.id,
            day_number(since),
            day_number(today),
            day_number(today - timedelta(days=365)),
        )
        ids = summary.ids.tolist()
        refunds = self.refunds(company, since, today)
        refunded = np.array([refunds.get(pid, 0.0) for pid in ids], dtype=np.float64)
        now = day_number(today)
        days = summary.purchase_days.astype(np.float64)
        age = (now - summary.first_day).astype(np.float64)
        span = (summary.last_day - summary.first_day).astype(np.float64)
        idle = (now - summary.last_day).astype(np.float64)
        total, first = summary.total, summary.first_amount
        net = np.maximum(total + refunded, 0.0)
        factor = np.divide(net, total, out=np.zeros_like(net), where=total > 0)
        frequency = np.maximum(days - 1, 0.0)
        repeat_value = np.divide(
            total - first, frequency, out=first.copy(), where=frequency > 0
        )
        data = {
            "n": len(ids),
            "ids": ids,
            "frequency": frequency,
            "recency": span,
            "T": age,
            "monetary": np.maximum(factor * repeat_value, 0.0),
            "recency_days": idle,
            "purchase_days": days,
            "net": net,
            "gap": np.divide(
                span, frequency, out=np.zeros_like(span), where=frequency > 0
            ),
            "orders_12m": summary.orders_12m.astype(np.float64),
            "gross": total,
            "slow_days": summary.slow_days.astype(np.float64),
            "pricelist_discounted": summary.discounted,
        }
        data.update(self.loyalty_inputs(company, data, today))
        data.update(self.health_inputs(company, data, today))
        data["warm_start"] = self.warm_start(company, today)
        # what the holdout check and the stage rules read from the facts
        self.calibration_inputs = self.calibration_summary(company, today)
        self.order_statistics(today)
        return data

    def calibration_summary(self, company, today):
        """The inputs of the holdout check of ``company``
        (:func:`.facts.calibration_summary` of the order facts of the pass:
        the scoring window ending at the cutoff ``today - holdout days``, the
        home company chosen as for the scores, the customers who bought
        before the cutoff) as ``(x, t_x, age, holdout)``; None when the
        setting is 0."""
        holdout_days = company.relationship_score_holdout_days
        if holdout_days <= 0:
            return None
        cutoff = today - timedelta(days=holdout_days)
        return facts.calibration_summary(
            self.facts,
            company.id,
            day_number(
                cutoff - timedelta(days=company.relationship_score_lookback_days)
            ),
            day_number(cutoff),
            day_number(today),
        )

    def warm_start(self, company, today):
        """The parameters of the company's last finished run fitted with the
        models (up to ``today``), as the starting point of tonight's fits (a
        night adds a day of orders: the optimum moves little, and the solver
        needs fewer steps from there); None without such a run."""
        previous = self.runs.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "done"),
                ("method", "=", clv.METHOD_MODEL),
                ("date", "<=", today),
            ],
            order="date desc, id desc",
            limit=1,
        )
        bgnbd = tuple(previous[f"param_{n}"] for n in ("r", "alpha", "a", "b"))
        gamma_gamma = tuple(previous[f"param_{n}"] for n in ("p", "q", "v"))
        if not previous or min(bgnbd + gamma_gamma) <= 0:
            return None
        return bgnbd, gamma_gamma

    def health_inputs(self, company, data, today):
        """What the health score reads besides the scores, as arrays (part of
        the extraction, so that the engine's step is arrays only): the open
        complaints and those of the last 12 months (:meth:`complaints`), and
        the extra inputs of ``res.partner._relationship_health_inputs``
        (e.g. satisfaction from surveys) as ``(weight, values, present)``."""
        ids = data["ids"]
        if not ids:
            return {}
        open_count, recent = self.complaints(company, ids, today)
        Partner = self.env["res.partner"].with_company(company)
        extra = [
            (
                weight,
                np.array([mapping.get(pid, 0.0) for pid in ids], float),
                np.array([pid in mapping for pid in ids], dtype=bool),
            )
            for weight, mapping in Partner._relationship_health_inputs(
                Partner.browse(ids)
            ).values()
        ]
        return {
            "open_complaints": open_count,
            "recent_complaints": recent,
            "health_extra": extra,
        }

    def order_statistics(self, today):
        """The order statistics of the customers of the pass for the stage
        rules (:func:`.facts.order_statistics` of the order facts, every
        company), with the posted refunds of the last 12 months per customer
        and company and the open quotations per customer; computed once per
        pass, read by :meth:`batch_stats`."""
        if self.statistics is not None:
            return self.statistics
        since = today - timedelta(days=365)
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT am.commercial_partner_id, am.company_id,
                       SUM(am.amount_untaxed_signed)
                  FROM account_move am
                 WHERE am.move_type = 'out_refund'
                   AND am.state = 'posted'
                   AND am.invoice_date >= %s
                 GROUP BY am.commercial_partner_id, am.company_id
                """,
                since,
            )
        )
        refunds = {}
        for partner_id, company_id, amount in cr.fetchall():
            refunds.setdefault(partner_id, {})[company_id] = amount
        cr.execute(
            SQL(
                """
                SELECT p.commercial_partner_id, COUNT(*)
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state IN ('draft', 'sent')
                 GROUP BY p.commercial_partner_id
                """
            )
        )
        quotations = dict(cr.fetchall())
        statistics = facts.order_statistics(self.facts, day_number(since))
        partner, company, *_days_and_orders, revenue = statistics.by_company
        # net of each company's refunds, never below zero, rounded (as the
        # statistics query of the base addon)
        credit = np.zeros(len(partner))
        for partner_id, amounts in refunds.items():
            low, high = np.searchsorted(partner, [partner_id, partner_id + 1])
            for j in range(low, high):
                credit[j] = float(amounts.get(int(company[j]), 0.0))
        #: the revenue of each customer and company net of its refunds
        self.statistics_net = np.round(np.maximum(revenue + credit, 0.0), 6)
        self.statistics = (statistics, quotations)
        return self.statistics

    def figure_texts(self, low, high):
        """The JSON texts of the order figures (as PostgreSQL prints the
        jsonb values: ``{"<company id>": <value>, ...}``, keys by increasing
        company id; None for no value) of the customers whose rows of the
        per-company statistics of the pass are ``low[i]`` to ``high[i] - 1``:
        one tuple per customer, in the order of :data:`STATS_FIELDS` (first
        and last order date, orders, revenue; a company without revenue has
        no key in the revenue). Made for the few customers whose figures are
        stored (or compared as texts) at a time."""
        statistics, _quotations = self.statistics
        low = np.asarray(low, dtype=np.int64)
        high = np.asarray(high, dtype=np.int64)
        sizes = high - low
        # the rows low[0]..high[0]-1, low[1]..high[1]-1, ... in one array
        starts = np.cumsum(sizes) - sizes
        rows = (
            np.repeat(low, sizes)
            + np.arange(int(sizes.sum()))
            - np.repeat(starts, sizes)
        )
        _partner, company, first, last, count, _revenue = (
            column[rows] for column in statistics.by_company
        )
        epoch = np.datetime64(EPOCH, "D")
        keys = [f'"{key}": ' for key in company.tolist()]

        def number(value):
            # as jsonb prints a number: 200, not 200.0
            text = repr(value)
            return text[:-2] if text.endswith(".0") else text

        def dates(days):
            texts = np.datetime_as_string(epoch + days.astype("timedelta64[D]"))
            return [f'{key}"{day}"' for key, day in zip(keys, texts, strict=True)]

        pieces = [
            dates(first),
            dates(last),
            [f"{key}{n}" for key, n in zip(keys, count.tolist(), strict=True)],
            [
                f"{key}{number(value)}" if value > 0 else None
                for key, value in zip(
                    keys, self.statistics_net[rows].tolist(), strict=True
                )
            ],
        ]
        texts = []
        for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
            figures = []
            for of_row in pieces:
                if size == 1:  # a customer of one company (most)
                    text = of_row[start]
                    figures.append("{" + text + "}" if text is not None else None)
                    continue
                items = [t for t in of_row[start : start + size] if t is not None]
                figures.append("{" + ", ".join(items) + "}" if items else None)
            texts.append(tuple(figures))
        return texts

    def stored_figures(self, ids, company, numbers=True):
        """What the stage rules and the comparison of the order figures read
        from the partners ``ids`` (increasing), as arrays in that order, with
        one binary ``COPY`` (no Python object per partner): stage (0 for
        none), lock, company (0 for none), and the stored order figures of
        ``company``: first and last order day (days of the order facts, the
        smallest int32 for none), orders and revenue (NaN for none), whether
        the revenue has the company's key, and ``alone``: no figure holds
        another company's key (the figures of ``company`` are the whole
        figures). Without ``numbers``, the figures are not read (none,
        never ``alone``): every partner is compared as texts."""
        key = str(company.id)
        if numbers:
            figures = SQL(
                """
                COALESCE((p.relationship_first_order_date->>%(key)s)::date,
                         '-infinity'::date),
                COALESCE((p.relationship_last_order_date->>%(key)s)::date,
                         '-infinity'::date),
                COALESCE((p.relationship_order_count->>%(key)s)::float8, 'NaN'::float8),
                COALESCE((p.relationship_revenue_12m->>%(key)s)::float8, 'NaN'::float8),
                COALESCE(p.relationship_revenue_12m ? %(key)s, FALSE)::int4,
                (%(alone)s)::int4
                """,
                key=key,
                # no other key than the company's in any figure (NULL as none)
                alone=SQL(" AND ").join(
                    SQL(
                        "COALESCE(p.%s, '{}'::jsonb) - %s = '{}'::jsonb",
                        SQL.identifier(name),
                        key,
                    )
                    for name in STATS_FIELDS
                ),
            )
        else:
            # every partner compared as texts: no figure read
            figures = SQL(
                "'-infinity'::date, '-infinity'::date, 'NaN'::float8, "
                "'NaN'::float8, 0, 0"
            )
        copy = SQL(
            """
            COPY (SELECT p.id, COALESCE(p.relationship_stage_id, 0),
                         (p.relationship_stage_locked IS TRUE)::int4,
                         COALESCE(p.company_id, 0), %(figures)s
                    FROM res_partner p
                   -- the batch's range of ids too: one index scan of its
                   -- partners, in the order of the index
                   WHERE p.id = ANY(%(ids)s) AND p.id BETWEEN %(low)s AND %(high)s)
              TO STDOUT (FORMAT binary)
            """,
            figures=figures,
            ids=id_array(ids),
            low=min(ids),
            high=max(ids),
        )
        stored = self.copy_out(copy, STORED_COLUMNS)
        order = np.argsort(stored["id"], kind="stable")
        stored = {name: values[order] for name, values in stored.items()}
        if not np.array_equal(stored["id"], np.asarray(ids, dtype=stored["id"].dtype)):
            raise ValueError("partners of the batch not found (deleted meanwhile?)")
        return stored

    def batch_stats(self, partners, today):
        """The order statistics of ``partners`` (customers of the pass, by
        increasing id) from :meth:`order_statistics`: ``(rules, changed)``.

        ``rules`` are the columns of the stage rules
        (:meth:`res.partner._relationship_rule_columns`: orders, quotations,
        first and last order day, median gap, and the stage, its lock and the
        company read from the partners); ``changed`` holds, as
        :meth:`res.partner._relationship_fetch_stats` does, the order figures
        (JSON texts, :meth:`figure_texts`) of the partners whose stored
        figures differ from them, which :meth:`write_batch` stores.

        The stored figures are read as numbers (:meth:`stored_figures`): a
        customer of the pass's company alone (most) is compared on arrays;
        the others (a customer shared by companies, or whose figures hold
        another company's key) as the texts PostgreSQL prints. Compared as
        numbers, a figure equal to the new one but written otherwise (a
        count as ``"5"``, an empty object for no revenue) is not written
        again: it reads the same."""
        statistics, quotations = self.order_statistics(today)
        ids = partners.ids
        if not ids:
            return {key: [] for key in RULE_KEYS}, {}
        company = partners.env.company
        partners.flush_recordset(
            [
                "relationship_stage_id",
                "relationship_stage_locked",
                "company_id",
                *STATS_FIELDS,
            ]
        )
        try:
            with self.env.cr.savepoint(flush=False):
                stored = self.stored_figures(ids, company)
        except psycopg2.errors.DataError:
            # a figure that is not a date or a number (written by other
            # means): the batch is compared as texts, and written again
            stored = self.stored_figures(ids, company, numbers=False)
        position = np.searchsorted(statistics.ids, ids)
        c_partner, c_company, c_first, c_last, c_count, _revenue = statistics.by_company
        c_low = np.searchsorted(c_partner, ids, side="left")
        c_high = np.searchsorted(c_partner, ids, side="right")
        # a customer with one row, of this company, and no other company's
        # key stored: its figures are those of this company, compared as
        # numbers
        simple = (c_high - c_low == 1) & stored["alone"].astype(bool)
        differ = np.zeros(len(ids), dtype=bool)
        if simple.any():
            row = np.where(simple, c_low, 0)
            simple &= c_company[row] == company.id
            net = self.statistics_net[row]
            revenue = net > 0
            differ = (
                (stored["first"] != c_first[row])
                | (stored["last"] != c_last[row])
                | (stored["orders"] != c_count[row])
                | (stored["has_revenue"].astype(bool) != revenue)
                | (revenue & (stored["revenue"] != net))
            )
        compare = np.flatnonzero(~simple)
        write = np.flatnonzero(simple & differ)
        changed = {}
        if len(compare):
            # the few customers shared by companies: compared as texts
            others = [ids[i] for i in compare.tolist()]
            self.env.cr.execute(
                SQL(
                    """
                    SELECT id, relationship_first_order_date::text,
                           relationship_last_order_date::text,
                           relationship_order_count::text,
                           relationship_revenue_12m::text
                      FROM res_partner
                     WHERE id = ANY(%s)
                    """,
                    id_array(others),
                )
            )
            current = {row[0]: row[1:] for row in self.env.cr.fetchall()}
            texts = self.figure_texts(c_low[compare], c_high[compare])
            changed.update(
                (pid, figures)
                for pid, figures in zip(others, texts, strict=True)
                if figures != current[pid]
            )
        if len(write):
            texts = self.figure_texts(c_low[write], c_high[write])
            changed.update(zip([ids[i] for i in write.tolist()], texts, strict=True))
        changed = {
            pid: {"figures": dict(zip(STATS_FIELDS, figures, strict=True))}
            for pid, figures in sorted(changed.items())
        }
        epoch = EPOCH.toordinal()
        rules = {
            "count": statistics.order_count[position],
            "quotations": np.array([quotations.get(pid, 0) for pid in ids]),
            "first": statistics.first_day[position].astype(np.int64) + epoch,
            "last": statistics.last_day[position].astype(np.int64) + epoch,
            "median_gap": statistics.median_gap[position],
            "stage_id": [stage or None for stage in stored["stage"].tolist()],
            "locked": stored["locked"].astype(bool).tolist(),
            "company_id": [c or None for c in stored["company"].tolist()],
        }
        return rules, changed

    def complaints(self, company, ids, today):
        """Open complaints and complaints of the last 12 months per customer
        of ``ids`` (those of the company read whole: a few per customer)."""
        self.env["crm.relationship.complaint"].flush_model(
            ["partner_id", "state", "date_received", "company_id"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id,
                       COUNT(*) FILTER (WHERE state = ANY(%(open)s)),
                       COUNT(*) FILTER (WHERE date_received >= %(since)s)
                  FROM crm_relationship_complaint
                 WHERE company_id = %(company)s
                 GROUP BY partner_id
                """,
                open=list(OPEN_STATES),
                since=fields.Datetime.to_datetime(today - timedelta(days=365)),
                company=company.id,
            )
        )
        stats = {
            pid: (n_open, n_recent) for pid, n_open, n_recent in self.env.cr.fetchall()
        }
        open_count = np.array([stats.get(pid, (0, 0))[0] for pid in ids], float)
        recent = np.array([stats.get(pid, (0, 0))[1] for pid in ids], float)
        return open_count, recent

    def evaluate(self, company, data, today):
        """Run the engine on the extracted arrays: every per-customer score."""
        scores = clv.score_customers(
            data["frequency"],
            data["recency"],
            data["T"],
            data["monetary"],
            start=data.get("warm_start"),
            **self.runs._score_engine_settings(company),
        )
        bins = company.relationship_score_bins
        r, f, m = rfm.rfm_scores(
            data["recency_days"], data["purchase_days"], data["net"], bins=bins
        )
        segments = rfm.rfm_segments(
            *(self.runs._score_on_five(s, bins) for s in (r, f, m))
        )
        value = scores.clv * company.relationship_score_margin / 100.0
        risk = churn.churn_risk(scores.p_alive)
        level = churn.risk_level(
            risk,
            (
                company.relationship_score_risk_medium / 100.0,
                company.relationship_score_risk_high / 100.0,
            ),
        )
        upcoming = next_order.expected_next_order(
            data["frequency"],
            data["recency"],
            data["T"],
            params=scores.bgnbd,
            method=scores.method,
        )
        return {
            "loyalty": self.loyalty(company, data),
            "next_order": upcoming,
            "overdue": upcoming.overdue(
                margin=company.relationship_next_order_margin / 100.0
            ),
            "scores": scores,
            "r": r,
            "f": f,
            "m": m,
            "segment": segments,
            "clv": value,
            "p_alive": scores.p_alive,
            "risk": risk,
            "level": level,
            "health": self.health(company, data, (r, f, m), scores.p_alive),
        }

    def discounted_lines_query(self, company, today):
        """Per customer: the value of the orders of the scoring window bought
        with a discount that the order facts do not show already (those on a
        discounted pricelist are counted whole there): the discounted lines,
        or the whole order when it has a promotion or reward line (a negative
        line), in company currency. Reads only the lines with a discount or a
        negative price."""
        since = today - timedelta(days=company.relationship_score_lookback_days)
        return SQL(
            """
            WITH discounted AS (
                SELECT sol.order_id,
                       SUM(sol.price_subtotal) FILTER (
                           WHERE sol.discount > 0 AND sol.price_subtotal > 0)
                           AS lines,
                       BOOL_OR(sol.price_subtotal < 0) AS promotion
                  FROM sale_order_line sol
                 WHERE (sol.discount > 0 OR sol.price_subtotal < 0)
                   AND sol.display_type IS NULL
                 GROUP BY sol.order_id
            )
            SELECT p.commercial_partner_id,
                   SUM(CASE WHEN d.promotion THEN so.amount_untaxed
                            ELSE COALESCE(d.lines, 0) END
                       / COALESCE(NULLIF(so.currency_rate, 0), 1.0))::float8
              FROM discounted d
              JOIN sale_order so ON so.id = d.order_id
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.state = 'sale'
               AND so.company_id = %(company)s
               AND so.date_order >= %(since)s
               AND so.date_order < %(until)s
               AND (so.pricelist_id IS NULL
                    OR so.pricelist_id NOT IN (%(discounted_pricelists)s))
             GROUP BY p.commercial_partner_id
            """,
            discounted_pricelists=self.env[
                "res.partner"
            ]._relationship_discounted_pricelists_query(),
            company=company.id,
            since=since,
            until=today + timedelta(days=1),
        )

    def incidents(self, company, data, today):
        """Per customer of ``data``: the complaints and posted refunds of the
        scoring window that can be judged (at least the tolerance window old,
        or already followed by a purchase) and how many of them were followed
        by a confirmed order of the company within the tolerance window
        (:func:`.facts.bought_within` on the order facts of the pass). The
        incidents of the company are read whole (a few per customer at most)
        and kept for the customers of ``data``."""
        since = today - timedelta(days=company.relationship_score_lookback_days)
        window = company.relationship_loyalty_recovery_days
        self.env.cr.execute(
            SQL(
                """
                SELECT p.commercial_partner_id, c.date_received::date
                  FROM crm_relationship_complaint c
                  JOIN res_partner p ON p.id = c.partner_id
                 WHERE c.company_id = %(company)s
                   AND c.date_received >= %(since)s
                UNION ALL
                SELECT am.commercial_partner_id, am.invoice_date
                  FROM account_move am
                 WHERE am.move_type = 'out_refund'
                   AND am.state = 'posted'
                   AND am.company_id = %(company)s
                   AND am.invoice_date >= %(since)s
                """,
                company=company.id,
                since=since,
            )
        )
        rows = self.env.cr.fetchall()
        ids = np.asarray(data["ids"], dtype=np.int64)
        incidents = np.zeros(len(ids))
        recovered = np.zeros(len(ids))
        if not rows or not len(ids):
            return incidents, recovered
        partners = np.array([row[0] for row in rows], dtype=np.int64)
        days = np.array([day_number(row[1]) for row in rows], dtype=np.int64)
        position = np.minimum(np.searchsorted(ids, partners), len(ids) - 1)
        known = ids[position] == partners
        position, partners, days = position[known], partners[known], days[known]
        bought = facts.bought_within(self.facts, company.id, partners, days, window)
        judged = bought | (days <= day_number(today - timedelta(days=window)))
        incidents += np.bincount(position[judged], minlength=len(ids))
        recovered += np.bincount(position[bought], minlength=len(ids))
        return incidents, recovered

    def loyalty_inputs(self, company, data, today):
        """What the loyalty of the customers of ``data`` is measured from, as
        arrays (part of the extraction): the median days spent choosing, the
        value bought with a discount, the incidents and those followed by a
        purchase (:meth:`incidents`), the referrers, and what the customers
        answered in surveys
        (``res.partner._relationship_loyalty_inputs``, extended by
        crm_relationship_survey).

        Order behaviour comes from the order facts of the pass (the days not
        confirmed at once and the value bought on a discounted pricelist, see
        :meth:`extract`; the median days spent choosing,
        :func:`.facts.median_choosing`, only for the customers whose median
        can be above 0), the discounted lines
        (:meth:`discounted_lines_query`) and the incidents
        (:meth:`incidents`)."""
        ids = data["ids"]
        if not ids:
            return {}
        position = {pid: i for i, pid in enumerate(ids)}
        cr = self.env.cr
        self.env["sale.order.line"].flush_model(
            ["order_id", "price_subtotal", "discount", "display_type"]
        )
        self.env["crm.relationship.complaint"].flush_model(
            ["partner_id", "company_id", "date_received"]
        )
        self.env["res.partner"].flush_model(["relationship_referred_by_id", "active"])

        def arrays(query, width, fill=np.nan):
            cr.execute(query)
            values = np.full((width, len(ids)), fill)
            for row in cr.fetchall():
                i = position.get(row[0])
                if i is not None:
                    values[:, i] = [np.nan if v is None else v for v in row[1:]]
            return values

        # the median is 0 unless at least half of the days took time
        slow = np.flatnonzero(
            (2 * data["slow_days"] >= data["purchase_days"]) & (data["slow_days"] > 0)
        )
        choosing = np.zeros(len(ids))
        if len(slow):
            since = today - timedelta(days=company.relationship_score_lookback_days)
            choosing[slow] = facts.median_choosing(
                self.facts,
                company.id,
                day_number(since),
                day_number(today),
                np.asarray(ids)[slow],
            )
        (lines,) = arrays(self.discounted_lines_query(company, today), 1, fill=0.0)
        incidents, recovered = self.incidents(company, data, today)
        # the referrers (few): read whole, kept for the customers of the pass
        cr.execute(
            SQL(
                """
                SELECT DISTINCT relationship_referred_by_id
                  FROM res_partner
                 WHERE relationship_referred_by_id IS NOT NULL AND active
                """
            )
        )
        referrer = np.zeros(len(ids), dtype=bool)
        referrer[[position[pid] for (pid,) in cr.fetchall() if pid in position]] = True
        Partner = self.env["res.partner"].with_company(company)
        answers = Partner._relationship_loyalty_inputs(Partner.browse(ids))

        def answered(name):
            mapping = answers.get(name, {})
            values = np.full(len(ids), np.nan)
            if mapping:
                index = [position[pid] for pid in mapping if pid in position]
                values[index] = [
                    float(value) for pid, value in mapping.items() if pid in position
                ]
            return values

        return {
            "choosing_days": choosing,
            "discounted": data["pricelist_discounted"] + np.nan_to_num(lines),
            "incidents": incidents,
            "recovered": recovered,
            "advocate": referrer | (answered("promoter") > 0),
            "share_of_wallet": answered("share_of_wallet"),
            "competitors": answered("competitors"),
            "satisfaction": answered("satisfaction"),
        }

    def loyalty(self, company, data):
        """The loyalty factors, index and class of every customer, the
        satisfaction and the satisfaction x loyalty quadrant
        (``engine/loyalty.py``) from the arrays of :meth:`loyalty_inputs`."""
        gross = data["gross"]
        share = np.divide(
            data["discounted"],
            gross,
            out=np.full_like(gross, np.nan),
            where=gross > 0,
        )
        factors = {
            "repeat": loyalty.repeat_factor(data["purchase_days"], data["T"]),
            "share_of_wallet": loyalty.share_of_wallet_factor(data["share_of_wallet"]),
            "choosing": loyalty.choosing_factor(data["choosing_days"]),
            "price": loyalty.price_factor(share),
            "competitors": loyalty.competitors_factor(data["competitors"]),
            "tolerance": loyalty.tolerance_factor(data["incidents"], data["recovered"]),
        }
        index = loyalty.loyalty_index(
            factors,
            loyalty.LoyaltyWeights(
                repeat=company.relationship_loyalty_weight_repeat,
                share_of_wallet=company.relationship_loyalty_weight_share,
                choosing=company.relationship_loyalty_weight_choosing,
                price=company.relationship_loyalty_weight_price,
                competitors=company.relationship_loyalty_weight_competitors,
                tolerance=company.relationship_loyalty_weight_tolerance,
            ),
        )
        thresholds = loyalty.LoyaltyThresholds(
            regular_purchases=company.relationship_loyalty_regular_purchases,
            long_standing_days=company.relationship_loyalty_long_standing_days,
            long_standing_purchases=company.relationship_loyalty_long_standing_purchases,
            loyal_index=company.relationship_loyalty_loyal_index,
        )
        satisfaction = data["satisfaction"] * 100.0
        return {
            "factors": factors,
            "index": index,
            "class": loyalty.loyalty_classes(
                index.index,
                data["purchase_days"],
                data["T"],
                data["advocate"],
                thresholds,
            ),
            "satisfaction": satisfaction,
            "quadrant": loyalty.satisfaction_quadrants(
                satisfaction,
                index.index,
                satisfied=company.relationship_loyalty_satisfied,
                loyal=company.relationship_loyalty_loyal_index,
            ),
        }

    def health(self, company, data, rfm_scores, p_alive):
        """Health 0-100 (:func:`health.health_score`): weighted mean of RFM,
        P(alive), complaints and the extra inputs of
        ``res.partner._relationship_health_inputs`` (read by
        :meth:`health_inputs`), weighted by the company's settings."""
        return health.health_score(
            *rfm_scores,
            p_alive,
            data["open_complaints"],
            data["recent_complaints"],
            data["orders_12m"],
            bins=company.relationship_score_bins,
            weights=health.HealthWeights(
                rfm=company.relationship_health_weight_rfm,
                alive=company.relationship_health_weight_alive,
                complaints=company.relationship_health_weight_complaints,
            ),
            extra=data["health_extra"],
        )

    def run_values(self, data, result):
        values = {
            "customer_count": data["n"],
            "repeat_customer_count": int(np.count_nonzero(data["frequency"] > 0)),
            "method": False,
            "reason": False,
            "total_clv": float(result["clv"].sum()) if result else 0.0,
        }
        for name in ("r", "alpha", "a", "b", "p", "q", "v"):
            values[f"param_{name}"] = 0.0
        values["log_likelihood"] = values["gamma_gamma_log_likelihood"] = 0.0
        if not result:
            return values
        scores = result["scores"]
        values["method"] = scores.method
        values["reason"] = scores.reason or False
        if scores.bgnbd:
            for name in ("r", "alpha", "a", "b"):
                values[f"param_{name}"] = getattr(scores.bgnbd, name)
            values["log_likelihood"] = scores.bgnbd.log_likelihood
        if scores.gamma_gamma:
            for name in ("p", "q", "v"):
                values[f"param_{name}"] = getattr(scores.gamma_gamma, name)
            values["gamma_gamma_log_likelihood"] = scores.gamma_gamma.log_likelihood
        return values

    # ------------------------------------------------------------------
    # Holdout check of the model (engine/calibration.py)
    # ------------------------------------------------------------------
    def calibrate(self, company, today, result):
        """The holdout check of ``company``'s model
        (:func:`.calibration.holdout_check`) on the inputs read with the
        extraction (:meth:`calibration_summary`), with the run's method (the
        heuristic when the run used it) and its BG/NBD as a warm start; None
        when the setting is 0 or no customer bought before the cutoff."""
        holdout_days = company.relationship_score_holdout_days
        inputs = self.calibration_inputs
        if holdout_days <= 0 or not result or inputs is None:
            return None
        x, t_x, age, seen = inputs
        if not len(x):
            return None
        scores = result["scores"]
        settings = self.runs._score_engine_settings(company)
        return calibration.holdout_check(
            x,
            t_x,
            age,
            seen,
            holdout_days,
            method="auto" if scores.method == clv.METHOD_MODEL else scores.method,
            min_customers=settings["min_customers"],
            time_step=settings["time_step"],
            start=scores.bgnbd,
        )

    def store_calibration(self, run, company, today, result):
        """Compute the holdout check (:meth:`calibrate`) and store it on
        ``run``: its figures on the run, one row per frequency bucket with
        customers in ``crm.relationship.score.calibration`` (created in one
        batch, replacing those of an earlier pass). Returns the seconds
        spent."""
        start = time.perf_counter()
        check = self.calibrate(company, today, result)
        Rows = self.env["crm.relationship.score.calibration"]
        Rows.search([("run_id", "=", run.id)]).unlink()
        values = {
            "calibration_holdout_days": 0,
            "calibration_customer_count": 0,
            "calibration_predicted": 0.0,
            "calibration_actual": 0.0,
            "calibration_gap": 0.0,
            "calibration_mae": 0.0,
            "calibration_method": False,
        }
        if check is not None:
            gap = check.relative_gap
            values.update(
                calibration_holdout_days=round(check.holdout),
                calibration_customer_count=check.n_customers,
                calibration_predicted=check.predicted_total,
                calibration_actual=check.actual_total,
                calibration_gap=100.0 * gap if np.isfinite(gap) else 0.0,
                calibration_mae=check.mae,
                calibration_method=check.method,
            )
            Rows.create(
                [
                    {
                        "run_id": run.id,
                        "bucket": bucket,
                        "customer_count": int(check.customers[bucket]),
                        "predicted_mean": float(check.predicted_mean[bucket]),
                        "actual_mean": float(check.actual_mean[bucket]),
                    }
                    for bucket in np.flatnonzero(check.customers).tolist()
                ]
            )
        seconds = time.perf_counter() - start
        run.write(dict(values, calibration_time=seconds))
        return seconds

    def write_batch(
        self, run, company, data, result, rows, changed, first=None, tiers=None
    ):
        """Write the scores of the customers at positions ``rows``.

        Their rows of ``crm.relationship.score`` are written from the values
        staged by :meth:`stage_values` (one UPDATE of the rows whose figures
        changed, one INSERT of the new ones, :meth:`upsert_queries`); the
        order figures ``changed`` (:meth:`batch_stats`) are stored on the
        partners whose figures changed (none on most nights), with the first
        stage ``first`` (``{partner id: stage id}``) and the first tier
        ``tiers`` (:meth:`plan_first_tiers`) of those without one
        (``res.partner._relationship_store_stats``); the run then records the
        last customer written, where a crash resumes. Returns the partners
        placed, ``{stage: [ids]}``.
        """
        ids = [data["ids"][i] for i in rows]
        Partner = self.env["res.partner"].with_company(company)
        Score = self.env["crm.relationship.score"]
        Score.flush_model()
        if result:
            # only a batch with customers overdue tonight can have new ones
            overdue = np.asarray(result["overdue"], dtype=bool)[rows]
            late = self.newly_overdue(ids, overdue) if overdue.any() else []
            unscored = self.unscored(ids)
            update, insert = self.upsert_queries(
                run, company, min(ids), max(ids), unscored
            )
            self.env.cr.execute(update)
            # customers without a score row yet (all on the first night,
            # hardly any later): the INSERT only when the batch has some
            if unscored:
                self.env.cr.execute(insert)
            Score.invalidate_model()
            self.env["crm.relationship.transition"]._transition_create(
                [
                    {
                        "partner_id": partner_id,
                        "kind": "next_order",
                        "run_id": run.id,
                        "company_id": company.id,
                        "automatic": True,
                    }
                    for partner_id in late
                ]
            )
        # the partners whose stored figures differ (few on most nights)
        placed = {}
        if changed:
            placed = Partner._relationship_store_stats(changed, run.date, first, tiers)
        run.last_partner_id = max(ids)
        run.flush_recordset(["last_partner_id"])
        Partner.browse(ids).invalidate_recordset(
            [*SCORE_FIELDS, *SCORE_LINK_FIELDS, *STATS_FIELDS]
        )
        return placed

    def score_columns(self, run, data, result):
        """The figures of a score row, one column at a time: ``(column,
        values, SQL type)`` with one value per customer of ``data`` (numpy
        arrays or lists), rounded to the digits they are shown with (money
        to the cent, probabilities to 4 decimals, ...), so that a customer
        whose figures did not change keeps its row untouched. Made
        as they are read (a generator): a million customers' columns are not
        all held at once."""
        today = np.datetime64(run.date, "D")
        r, f, m = (np.asarray(result[k], dtype=np.int64) for k in ("r", "f", "m"))
        clv_value = np.asarray(result["clv"], dtype=np.float64)
        yield "partner_id", np.asarray(data["ids"], dtype=np.int64), "int4"
        yield (
            "first_purchase_date",
            today - data["T"].astype("timedelta64[D]"),
            "date",
        )
        yield (
            "last_purchase_date",
            today - data["recency_days"].astype("timedelta64[D]"),
            "date",
        )
        yield "rfm_frequency", data["purchase_days"].astype(np.int64), "int4"
        yield "rfm_monetary", np.round(data["net"], 2), "numeric"
        yield "rfm_r_score", r, "int4"
        yield "rfm_f_score", f, "int4"
        yield "rfm_m_score", m, "int4"
        yield "rfm_code", 100 * r + 10 * f + m, "varchar"
        yield "rfm_segment", np.asarray(result["segment"]), "varchar"
        yield "purchase_gap_days", np.round(data["gap"], 3), "float8"
        yield "clv_value", np.round(clv_value, 2), "numeric"
        yield "p_alive", np.round(result["p_alive"], 4), "float8"
        yield (
            "expected_purchases",
            np.round(result["scores"].expected_purchases, 2),
            "float8",
        )
        yield "churn_risk", np.round(result["risk"], 4), "float8"
        yield "churn_risk_level", np.asarray(result["level"]), "varchar"
        yield (
            "value_at_risk",
            np.round(clv_value * np.asarray(result["risk"], np.float64), 2),
            "numeric",
        )
        yield "health_score", np.round(result["health"], 1), "float8"
        for name, (values, kind) in self.next_order_columns(today, result).items():
            yield name, values, kind
        for name, (values, kind) in self.loyalty_columns(result["loyalty"]).items():
            yield name, values, kind

    @staticmethod
    def loyalty_columns(result):
        """The loyalty figures of :meth:`loyalty` as columns; a factor, index
        or satisfaction that was not measured is NaN, stored as NULL (not
        zero)."""

        def nullable(values, digits):
            # NaN: not measured, staged as NULL (StagedColumn)
            return np.round(np.asarray(values, dtype=np.float64), digits)

        quadrant = np.asarray(result["quadrant"], dtype=object)
        quadrant[quadrant == ""] = None
        return {
            "loyalty_index": (nullable(result["index"].index, 1), "float8"),
            "loyalty_class": (np.asarray(result["class"]), "varchar"),
            "loyalty_factors_used": (
                np.asarray(result["index"].used, dtype=np.int64),
                "int4",
            ),
            **{
                f"loyalty_{name}": (nullable(result["factors"][name], 4), "float8")
                for name in loyalty.FACTORS
            },
            "satisfaction_level": (nullable(result["satisfaction"], 1), "float8"),
            "satisfaction_quadrant": (quadrant, "varchar"),
        }

    @staticmethod
    def next_order_columns(today, result):
        """The expected next order as dates (``NaT`` for one-time buyers:
        no date): the last purchase plus the gap expected at that purchase
        (median and interval, :class:`.next_order.NextOrder`), a date today
        can pass; its basis and whether it is overdue."""
        upcoming = result["next_order"]
        idle = np.asarray(upcoming.idle, dtype=np.float64)

        def date(days):
            days = np.asarray(days, dtype=np.float64)
            whole = np.where(np.isfinite(days), np.round(days), 0).astype(np.int64)
            dates = today + whole.astype("timedelta64[D]")
            return np.where(np.isfinite(days), dates, np.datetime64("NaT"))

        return {
            "next_order_date": (date(upcoming.expected_gap - idle), "date"),
            "next_order_low_date": (date(upcoming.gap_low - idle), "date"),
            "next_order_high_date": (date(upcoming.gap_high - idle), "date"),
            "next_order_basis": (np.asarray(upcoming.basis), "varchar"),
            "next_order_overdue": (np.asarray(result["overdue"], dtype=bool), "bool"),
        }

    def stage_values(self, run, data, result):
        """COPY the score figures of every customer of the pass
        (:meth:`score_columns`) into the temporary table ``VALUES_TABLE``,
        indexed by partner: the batches write their rows from it
        (:meth:`upsert_queries`). Dropped by :meth:`drop_facts`.

        The COPY is binary, built by numpy (:class:`StagedColumn`: numbers
        and dates as such, texts as codes of their distinct values, numerics
        as float8 read back as numeric), ``STAGE_CHUNK`` customers at a
        time."""
        # column by column, each figure's values released once staged: a
        # million customers' figures are not held twice
        staged = {}
        for name, values, kind in self.score_columns(run, data, result):
            staged[name] = StagedColumn(name, values, kind)
            del values
        cr = self.env.cr
        table = self.temporary_table(
            VALUES_TABLE,
            SQL(", ").join(
                SQL("%s %s", SQL.identifier(name), SQL(column.staging_type))
                for name, column in staged.items()
            ),
        )
        for start in range(0, data["n"], STAGE_CHUNK):
            self.copy_in(
                table,
                [
                    column.binary[start : start + STAGE_CHUNK]
                    for column in staged.values()
                ],
            )
        # the index also gives the planner the table's size (no ANALYZE: the
        # batches read it by ranges of the index)
        cr.execute(SQL("CREATE UNIQUE INDEX ON %s (partner_id)", table))
        #: the columns staged and how to read them, which the batches write
        #: (upsert_queries)
        self.staged_columns = {name: column.read for name, column in staged.items()}
        return list(self.staged_columns)

    def plan_first_tiers(self, company, ids):
        """The first tiers of the customers ``ids`` of the pass that have
        none (arrays of partner ids, increasing, and of their tier ids; see
        :meth:`first_tiers_of`), planned before the batches so that
        each batch writes them with the order figures and first stages
        (``res.partner._relationship_store_stats``): one new version of a
        new customer's row instead of two.

        The plan is the ranking the end of the pass makes
        (``res.partner._relationship_assign_tiers``, which then finds these
        tiers in place): the same customers (``_relationship_tier_rows``),
        with the order figures the batches write (:meth:`order_statistics`)
        and the lifetime values of the staged score rows
        (``_relationship_tier_clv``), ranked by the same tiers. Made when at
        least a tenth of the customers of the pass have no score row yet
        (the first run): on other nights the few new customers get their
        first tier at the end of the pass."""
        ids = np.asarray(ids, dtype=np.int64)
        none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        _batch, scored, _row = self.scored_rows(ids)
        if not len(ids) or int((~scored).sum()) * 10 < len(ids):
            return none
        statistics, _quotations = self.statistics
        c_partner, c_company, _first, _last, c_count, _revenue = statistics.by_company
        # the figures in this company the batches write: its statistics
        # (one row per customer, by id), no orders without a row
        mine = np.flatnonzero(c_company == company.id)
        orders = np.zeros(len(ids), dtype=np.int64)
        revenue = np.zeros(len(ids))
        if len(mine):
            partner = c_partner[mine]
            at = np.minimum(np.searchsorted(partner, ids), len(partner) - 1)
            found = partner[at] == ids
            rows = mine[at]
            orders = np.where(found, c_count[rows], 0)
            net = self.statistics_net[rows]
            # no revenue key where the net is not positive: read as 0
            revenue = np.where(found & (net > 0), net, 0.0)
        # the figures as a table of their own (one binary COPY of the arrays)
        cr = self.env.cr
        table = self.temporary_table(
            PENDING_TABLE, SQL("id int4, orders int4, revenue float8")
        )
        self.copy_in(
            table, [ids.astype(">i4"), orders.astype(">i4"), revenue.astype(">f8")]
        )
        del orders, revenue
        cr.execute(SQL("ANALYZE %s", table))
        Partner = self.env["res.partner"].with_company(company)
        candidates, current, locked, revenue = Partner._relationship_tier_rows(
            SQL("SELECT id, orders, revenue FROM %s", table)
        )
        cr.execute(SQL("DROP TABLE %s", table))
        partners, clv = self.staged_clv()
        value, revenue = Partner._relationship_tier_clv(
            candidates, partners, clv, revenue, revenue
        )
        tier = self.env["crm.relationship.tier"]._assign_arrays(value, revenue, company)
        first = (current == 0) & ~locked & (tier != 0)
        return candidates[first], tier[first]

    def first_tiers_of(self, ids):
        """``{partner id: tier id}`` of the customers ``ids`` (a batch) in the
        plan of :meth:`plan_first_tiers`."""
        planned, tiers = self.first_tiers
        if not len(planned) or not ids:
            return {}
        batch = np.asarray(ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(planned, batch), len(planned) - 1)
        hit = planned[at] == batch
        return dict(zip(batch[hit].tolist(), tiers[at[hit]].tolist(), strict=True))

    def staged_clv(self):
        """The customers of the pass and their lifetime value as their score
        rows will hold it (the staged value as the score table stores and
        reads it back), with one binary ``COPY``: arrays by increasing id."""
        copy = SQL(
            """
            COPY (SELECT v.partner_id, COALESCE((%s)::float8, 0)
                    FROM %s AS v ORDER BY v.partner_id)
              TO STDOUT (FORMAT binary)
            """,
            self.staged_columns["clv_value"],
            SQL.identifier(VALUES_TABLE),
        )
        rows = self.copy_out(
            copy, (("id", ">i4", np.int64), ("clv", ">f8", np.float64))
        )
        return rows["id"], rows["clv"]

    def newly_overdue(self, ids, overdue):
        """The customers of ``ids`` (a batch, increasing ids) whose next
        order becomes overdue tonight (``overdue``, their flags of the pass)
        while their score row said it was not (:meth:`scored_ids`): a
        customer scored for the first time is not a move."""
        batch, scored, row = self.scored_rows(ids)
        if not scored.any():
            return []
        late = np.asarray(overdue, dtype=bool) & scored & self.on_time[row]
        return batch[late].tolist()

    def scored_ids(self, company):
        """The customers with a score row of ``company`` (increasing ids),
        and whether that row says their next order is not overdue
        (:attr:`on_time`, False when unknown): read once per pass, before
        the batches, which add rows only for customers of their own range
        and read the flags of customers they have not written yet."""
        self.env["crm.relationship.score"].flush_model(
            ["partner_id", "company_id", "next_order_overdue"]
        )
        copy = SQL(
            """
            COPY (SELECT partner_id, (next_order_overdue IS FALSE)::int4
                    FROM crm_relationship_score
                   WHERE company_id = %s ORDER BY partner_id)
              TO STDOUT (FORMAT binary)
            """,
            company.id,
        )
        # one binary COPY: no Python object per customer
        rows = self.copy_out(copy, (("id", ">i4", np.int64), ("on_time", ">i4", bool)))
        self.on_time = rows["on_time"]
        return rows["id"]

    def scored_rows(self, ids):
        """For the customers ``ids``: ``(ids as an array, whether each had a
        score row when the pass began, its position in`` :attr:`scored`
        ``)`` (a position of 0 without a row), by a binary search per
        customer of the batch, not a sort of every scored customer per
        batch."""
        batch = np.asarray(ids, dtype=np.int64)
        if not len(self.scored):
            none = np.zeros(len(batch), dtype=np.int64)
            return batch, none.astype(bool), none
        row = np.minimum(np.searchsorted(self.scored, batch), len(self.scored) - 1)
        return batch, self.scored[row] == batch, row

    def unscored(self, ids):
        """The customers of ``ids`` that had no score row when the pass began
        (:attr:`scored`), as a list."""
        batch, scored, _row = self.scored_rows(ids)
        return batch[~scored].tolist()

    def upsert_queries(self, run, company, low, high, unscored=()):
        """The statements writing the score rows of the customers of ids
        ``low`` to ``high`` from the staged values (:meth:`stage_values`):
        an UPDATE of the rows whose figures changed (an unchanged customer's
        row is left alone) and an INSERT of the rows of the customers
        ``unscored`` (:meth:`unscored`; a row that exists is the UPDATE's:
        ``ON CONFLICT DO NOTHING``). The INSERT names
        its customers rather than looking for the missing rows: an anti-join
        planned while the table's statistics still say it is empty (the
        first run) is a scan of the rows inserted so far for each customer."""
        names = list(self.staged_columns)
        constants = {
            "company_id": company.id,
            "run_ref": run.id,
            "currency_id": company.currency_id.id,
            "clv_method": run.method,
        }
        changing = sorted(
            [n for n in names if n != "partner_id"] + ["currency_id", "clv_method"],
            key=lambda name: (
                NIGHTLY_FIGURES.index(name)
                if name in NIGHTLY_FIGURES
                else len(NIGHTLY_FIGURES)
            ),
        )
        ident = SQL.identifier
        now = fields.Datetime.now()
        staged = SQL(
            "SELECT %s, %s FROM %s AS v WHERE v.partner_id BETWEEN %s AND %s",
            SQL(", ").join(
                SQL("%s AS %s", read, ident(name))
                for name, read in self.staged_columns.items()
            ),
            SQL(", ").join(
                SQL("%s AS %s", value, ident(name)) for name, value in constants.items()
            ),
            ident(VALUES_TABLE),
            low,
            high,
        )
        update = SQL(
            """
            UPDATE crm_relationship_score s
               SET %(assignments)s, run_ref = v.run_ref,
                   write_uid = %(uid)s, write_date = %(now)s
              FROM (%(staged)s) AS v
             WHERE s.partner_id = v.partner_id
               AND s.company_id = %(company)s
               -- the batch's range on the score rows too: an index scan of
               -- them, not a scan of the whole table for each batch
               AND s.partner_id BETWEEN %(low)s AND %(high)s
               AND (%(old)s) IS DISTINCT FROM (%(new)s)
            """,
            low=low,
            high=high,
            assignments=SQL(", ").join(
                SQL("%s = v.%s", ident(n), ident(n)) for n in changing
            ),
            uid=self.env.uid,
            now=now,
            staged=staged,
            company=company.id,
            old=SQL(", ").join(ident("s", n) for n in changing),
            new=SQL(", ").join(ident("v", n) for n in changing),
        )
        columns = SQL(", ").join(ident(n) for n in [*names, *constants])
        insert = SQL(
            """
            INSERT INTO crm_relationship_score
                   (%(columns)s, create_uid, create_date, write_uid, write_date)
            SELECT %(columns)s, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM (%(staged)s) AS v
             WHERE v.partner_id = ANY(%(unscored)s)
            ON CONFLICT (partner_id, company_id) DO NOTHING
            """,
            columns=columns,
            uid=self.env.uid,
            now=now,
            staged=staged,
            unscored=id_array(unscored),
        )
        return update, insert

    def clear_stale(self, run, company, ids):
        """Delete the score rows of ``company`` whose customer ``run`` did not
        score (no purchase in the window any more, or moved to another
        company); return their partner ids."""
        self.env["crm.relationship.score"].flush_model()
        if self.staged_columns and len(ids):
            # the customers scored are those staged (stage_values): an
            # anti-join with its index, not an array of every customer
            scored = SQL(
                "NOT EXISTS (SELECT 1 FROM %s v WHERE v.partner_id = s.partner_id)",
                SQL.identifier(VALUES_TABLE),
            )
        else:
            scored = SQL("NOT (s.partner_id = ANY(%s))", id_array(ids))
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM crm_relationship_score s
                 WHERE s.company_id = %s AND %s
                RETURNING s.partner_id
                """,
                company.id,
                scored,
            )
        )
        stale = [pid for (pid,) in self.env.cr.fetchall()]
        self.env["crm.relationship.score"].invalidate_model()
        self.env["res.partner"].browse(stale).invalidate_recordset(
            [*SCORE_FIELDS, *SCORE_LINK_FIELDS]
        )
        return stale

    def record_history(self, run, company, today, deadline=None):
        """History rows of ``run``: one per customer whose segment, risk
        level, tier or stage changed since its last history row, or whose
        last history row is older than the checkpoint interval of the
        company (the trend of the partner form). Each score row remembers
        what its last history row said, so that this is a join of the
        company's score rows with their partners, not a scan of the history.

        Done by ranges of customer ids, each committed (in a scheduled-action
        worker) and counted in ``run.history_count``: a customer recorded is
        not due any more, so a call stopped by the ``deadline`` (after a whole
        range that wrote rows) or killed is simply continued by the next one.
        Returns whether every range is done.
        """
        self.env["res.partner"].flush_model(["value_tier_id", "relationship_stage_id"])
        self.env["crm.relationship.score"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT MIN(partner_id), MAX(partner_id) FROM crm_relationship_score "
                "WHERE company_id = %s",
                company.id,
            )
        )
        low, high = self.env.cr.fetchone()
        if low is None:
            return True
        while low <= high:
            count = self.record_history_range(run, company, today, low, HISTORY_RANGE)
            run.history_count += count
            run.flush_recordset(["history_count"])
            self.runs._score_commit()
            low += HISTORY_RANGE
            # a range with nothing due (done by an earlier call) costs a scan
            # only: the time is checked after ranges that wrote rows
            out_of_time = deadline is not None and time.monotonic() > deadline
            if count and low <= high and out_of_time:
                return False
        return True

    def record_history_range(self, run, company, today, low, size):
        """:meth:`record_history` for the customers of ids ``low`` to
        ``low + size - 1``; returns the number of rows written."""
        days = company.relationship_score_checkpoint_days
        checkpoint = today - timedelta(days=days) if days > 0 else None
        self.env.cr.execute(
            SQL(
                """
                WITH due AS MATERIALIZED (
                    -- the figures of the history row with the customer's
                    -- score row: due rows are few, the score table is not
                    -- read again for them
                    SELECT s.id, s.partner_id, s.company_id, s.rfm_segment,
                           s.history_segment, s.churn_risk_level,
                           s.history_risk_level, s.rfm_r_score, s.rfm_f_score,
                           s.rfm_m_score, s.clv_value, s.p_alive, s.churn_risk,
                           s.health_score, s.currency_id, p.value_tier_id,
                           p.relationship_stage_id
                      FROM crm_relationship_score s
                      JOIN res_partner p ON p.id = s.partner_id
                     WHERE s.company_id = %(company)s
                       AND s.partner_id >= %(low)s AND s.partner_id < %(high)s
                       -- the range on the partners too: an index scan of the
                       -- range, not a scan of every partner for each range
                       AND p.id >= %(low)s AND p.id < %(high)s
                       AND (s.history_date IS NULL
                            OR s.history_date <= %(checkpoint)s
                            OR s.history_segment IS DISTINCT FROM s.rfm_segment
                            OR s.history_risk_level IS DISTINCT FROM
                               s.churn_risk_level
                            OR s.history_tier_id IS DISTINCT FROM p.value_tier_id
                            OR s.history_stage_id IS DISTINCT FROM
                               p.relationship_stage_id)
                ), history AS (
                    INSERT INTO crm_relationship_score_snapshot
                           (run_id, partner_id, company_id, date, rfm_segment,
                            previous_segment, churn_risk_level,
                            previous_risk_level, rfm_r_score, rfm_f_score,
                            rfm_m_score, clv_value, p_alive, churn_risk,
                            health_score, currency_id, value_tier_id,
                            relationship_stage_id, create_uid, create_date,
                            write_uid, write_date)
                    SELECT %(run)s, due.partner_id, due.company_id, %(today)s,
                           due.rfm_segment, due.history_segment,
                           due.churn_risk_level, due.history_risk_level,
                           due.rfm_r_score, due.rfm_f_score, due.rfm_m_score,
                           due.clv_value, due.p_alive, due.churn_risk,
                           due.health_score, due.currency_id, due.value_tier_id,
                           due.relationship_stage_id, %(uid)s, %(now)s,
                           %(uid)s, %(now)s
                      FROM due
                    ON CONFLICT (run_id, partner_id) DO UPDATE
                       SET rfm_segment = EXCLUDED.rfm_segment,
                           churn_risk_level = EXCLUDED.churn_risk_level,
                           rfm_r_score = EXCLUDED.rfm_r_score,
                           rfm_f_score = EXCLUDED.rfm_f_score,
                           rfm_m_score = EXCLUDED.rfm_m_score,
                           clv_value = EXCLUDED.clv_value,
                           p_alive = EXCLUDED.p_alive,
                           churn_risk = EXCLUDED.churn_risk,
                           health_score = EXCLUDED.health_score,
                           value_tier_id = EXCLUDED.value_tier_id,
                           relationship_stage_id = EXCLUDED.relationship_stage_id,
                           write_date = EXCLUDED.write_date
                    RETURNING partner_id, previous_segment, rfm_segment,
                              previous_risk_level, churn_risk_level
                ), remembered AS (
                    UPDATE crm_relationship_score s
                       SET history_date = %(today)s,
                           history_segment = due.rfm_segment,
                           history_risk_level = due.churn_risk_level,
                           history_tier_id = due.value_tier_id,
                           history_stage_id = due.relationship_stage_id
                      FROM due
                     WHERE s.id = due.id
                )
                SELECT partner_id, previous_segment, rfm_segment,
                       previous_risk_level, churn_risk_level
                  FROM history
                """,
                company=company.id,
                low=low,
                high=low + size,
                checkpoint=checkpoint,
                today=today,
                run=run.id,
                uid=self.env.uid,
                now=fields.Datetime.now(),
            )
        )
        rows = self.env.cr.fetchall()
        self.env["crm.relationship.score.snapshot"].invalidate_model()
        self.env["crm.relationship.score"].invalidate_model()
        run.invalidate_recordset(["snapshot_ids", "snapshot_count"])
        self.create_transitions(run, company, rows)
        return len(rows)

    def create_transitions(self, run, company, rows):
        """The moves among the history rows just written (partner, previous
        and new segment, previous and new risk level), as transitions created
        through the ORM in one batch, so that automation rules can react to
        them (a first history row is a placement, not a move)."""
        vals_list = []
        for partner_id, old_segment, segment, old_level, level in rows:
            if old_segment and old_segment != segment:
                vals_list.append(
                    {
                        "partner_id": partner_id,
                        "kind": "segment",
                        "from_segment": old_segment,
                        "to_segment": segment,
                    }
                )
            if old_level and old_level != level:
                vals_list.append(
                    {
                        "partner_id": partner_id,
                        "kind": "risk_level",
                        "from_risk_level": old_level,
                        "to_risk_level": level,
                    }
                )
        for vals in vals_list:
            vals.update(run_id=run.id, company_id=company.id, automatic=True)
        return self.env["crm.relationship.transition"]._transition_create(vals_list)

    def at_risk_ids(self, company, data, result):
        """Valuable customers (top share by net revenue of the window) whose
        churn risk is high.

        Revenue, not lifetime value, measures how valuable a customer has
        been: the lifetime value already shrinks with the probability of being
        alive, so the customers slipping away never rank high by it.
        """
        if not result:
            return []
        selected = health.at_risk(
            data["net"],
            result["risk"],
            top_percent=company.relationship_score_high_value_percentile,
            risk_threshold=company.relationship_score_risk_high / 100.0,
        )
        return [data["ids"][i] for i in np.flatnonzero(selected)]

    def at_risk_activities(self, company, data, result, today):
        """One to-do for the owner of each valuable customer at risk.

        A customer that already has an open at-risk activity gets no other one
        (one query finds them all).
        """
        ids = self.at_risk_ids(company, data, result)
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        if not ids or not todo:
            return self.env["mail.activity"]
        lang_code = company.partner_id.lang or self.env.lang or "en_US"
        env = self.runs.with_context(lang=lang_code).env
        summary = env._("Valuable customer at risk")
        amount = self.runs._score_amount_format(lang_code, company.currency_id)
        existing = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", ids),
                    ("activity_type_id", "=", todo.id),
                    ("summary", "in", list({summary, AT_RISK_SUMMARY})),
                ]
            )
        )
        covered = set(existing.mapped("res_id"))
        model_id = self.env["ir.model"]._get_id("res.partner")
        position = {pid: i for i, pid in enumerate(data["ids"])}
        vals_list = []
        for partner in self.env["res.partner"].sudo().browse(ids):
            owner = partner.relationship_owner_id or partner.user_id
            if partner.id in covered or not owner.active or owner.share:
                continue
            i = position[partner.id]
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": todo.id,
                    "summary": summary,
                    "note": env._(
                        "%(customer)s is worth %(value)s over the horizon but is "
                        "%(risk)s %% likely to have stopped buying.",
                        customer=partner.display_name,
                        value=amount(float(result["clv"][i])),
                        risk=round(100 * float(result["risk"][i])),
                    ),
                    "user_id": owner.id,
                    "date_deadline": today,
                }
            )
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(vals_list)
        )
