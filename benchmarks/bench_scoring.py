"""Benchmark: nightly customer scoring on 100,000 customers.

Run with ``make bench`` (``python3 setup/dev.py bench benchmarks/bench_scoring.py``).
It runs inside ``odoo-bin shell`` on a scratch copy of the test database
(``make bench`` makes it and drops it afterwards), and commits like the
scheduled action does:

1. creates a company of its own and inserts ``BENCH_PARTNERS`` customers
   (default 100,000; 1,000,000 is supported) and about 10 confirmed orders
   each with SQL, drawn from a repeat-purchase process: every customer buys
   at a Poisson rate of their own (Gamma distributed across customers) and
   drops out after each purchase with a probability of their own (Beta
   distributed), order values are Gamma distributed around a customer mean.
   The orders are simulated and inserted 20,000 customers at a time, so the
   fixture's memory does not grow with ``BENCH_PARTNERS``;
2. runs the full rescoring of that company (extraction, engine, batched
   upsert of the narrow score rows of ``crm.relationship.score``, stage
   rules, tiers, history rows on change, transitions, activities) twice: the
   first run, which creates every customer's score row and places every
   customer in a stage and a tier, and the next night's run. Each run is
   made as the scheduled action's worker makes it (``cron_id`` in the
   context: each batch and each range of history rows committed, so that a
   crash loses at most one), without its time limit; between the runs the
   tables the run wrote are vacuumed, as autovacuum does during a day in
   production (the old row versions of the first night are pruned, so that
   the next night's updates can be HOT);
3. measures the physical floor of the nightly work on the same data: one
   aggregate of the orders per customer and order day, a COPY of one row per
   customer (id and 15 numeric columns, like the score write-back) into a
   temporary table and one UPDATE of a narrow pre-filled table of that size
   from it;
4. times a naive per-partner ORM computation on a 5,000-partner sample for
   comparison: the partner's orders read with the ORM, then its row of
   ``crm.relationship.score`` for the company searched and written (created
   when missing) through the ORM, one customer at a time;
5. prints ONE JSON line with the figures (the floor and the naive way are
   rolled back; the scratch database is dropped afterwards).

The rows of ``res_partner`` and ``crm_relationship_score`` updated or
inserted and the history rows inserted by each run are the difference of
``pg_stat_user_tables`` before and after the run (its statistics flushed
first). A score row
counts as updated when the upsert rewrote its figures or when the history
step stamped it (``history_date``, ...); ``n_tup_hot_upd`` tells how many of
those updates were HOT (no index entry written).

Memory: ``peak_rss_mb`` is the high-water mark of the resident memory of
this process during the scoring runs alone. Before each run the kernel's
high-water mark is reset to the current RSS (``5`` written to
``/proc/self/clear_refs``) and ``VmHWM`` of ``/proc/self/status`` read after
it, so the fixture does not count. Where the reset is not permitted,
``ru_maxrss`` (the whole process's high-water mark, fixture included) is
reported instead and ``peak_rss_source`` says so. PostgreSQL's own memory is
not included.

``BENCH_TRACE=1`` also prints to stderr, per method of the scoring job, the
time spent and the largest RSS seen while it ran (sampled every 20 ms).
"""

import io
import json
import os
import resource
import sys
import threading
import time
from datetime import timedelta

import numpy as np

from odoo import fields
from odoo.tools import SQL

from odoo.addons.crm_relationship_scoring.models.crm_relationship_score_run import (
    SCORE_BATCH,
)
from odoo.addons.crm_relationship_scoring.models.score_job import ScoreJob

N_PARTNERS = int(os.environ.get("BENCH_PARTNERS", "100000"))
NAIVE_SAMPLE = min(5000, N_PARTNERS)
BATCH = int(os.environ.get("BENCH_BATCH", SCORE_BATCH))
WINDOW = 1095
SEED = 20261122
FLOOR_COLUMNS = 15  # numeric columns of the floor's write-back row
FLOOR_FETCH = 100_000  # rows of the floor fetched / formatted at a time
HISTORY_TABLES = ("crm_relationship_score_snapshot", "crm_relationship_stage_history")
SCORE_TABLE = "crm_relationship_score"
SIM_CHUNK = 20_000  # customers simulated and inserted at a time
TRACE = os.environ.get("BENCH_TRACE", "") not in ("", "0")


def _simulate(rng, n):
    """Order days (days ago) and amounts of ``n`` customers, BG/NBD style."""
    birth = rng.uniform(30, WINDOW, n)  # first purchase, days ago
    rate = rng.gamma(1.5, 1 / 1.5 / 35.0, n)  # purchases per day, mean 1/35
    dropout = rng.beta(0.5, 8.0, n)  # after each purchase, mean ~6 %
    spend = rng.gamma(3.0, 60.0, n)  # customer mean order value, mean 180
    max_orders = 80
    gaps = rng.exponential(1.0, (n, max_orders - 1)) / rate[:, None]
    times = np.concatenate([np.zeros((n, 1)), np.cumsum(gaps, axis=1)], axis=1)
    # purchases happen while alive: the first dropout ends the sequence
    drops = rng.random((n, max_orders)) < dropout[:, None]
    drops[:, 0] = False
    alive = np.cumsum(drops, axis=1) == 0
    seen = times <= birth[:, None]
    keep = alive & seen
    who, k = np.nonzero(keep)
    days_ago = np.floor(birth[who] - times[who, k]).astype(np.int64)
    amounts = np.round(rng.gamma(4.0, spend[who] / 4.0), 2) + 1.0
    return who, days_ago, amounts


def _insert_fixture(env):
    cr = env.cr
    company = env["res.company"].create({"name": "Bench Scoring Co"})
    env.user.company_ids |= company
    now = fields.Datetime.now()
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, active, is_company, type,
                                     company_id, autopost_bills, create_date,
                                     write_date, create_uid, write_uid)
            SELECT 'Bench customer ' || g, 'Bench customer ' || g, TRUE, TRUE,
                   'contact', %(company)s, 'ask', %(now)s, %(now)s, %(uid)s,
                   %(uid)s
              FROM generate_series(1, %(n)s) AS g
            RETURNING id
            """,
            company=company.id,
            now=now,
            uid=env.uid,
            n=N_PARTNERS,
        )
    )
    ids = sorted(pid for (pid,) in cr.fetchall())
    cr.execute(
        SQL(
            "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
            ids,
        )
    )
    today = fields.Date.context_today(env.user)
    rng = np.random.default_rng(SEED)
    all_ids = np.asarray(ids, dtype=np.int64)
    n_orders = 0
    # simulated and inserted SIM_CHUNK customers at a time (about 220,000
    # orders): the same random draws, in the same order, as simulating every
    # customer first, with the memory of one chunk only
    for start in range(0, len(ids), SIM_CHUNK):
        chunk_ids = all_ids[start : start + SIM_CHUNK]
        who, days_ago, amounts = _simulate(rng, len(chunk_ids))
        cr.execute(
            SQL(
                """
                INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                                        partner_shipping_id, company_id, state,
                                        date_order, amount_untaxed, amount_tax,
                                        amount_total, currency_rate, currency_id,
                                        create_date, write_date, create_uid,
                                        write_uid)
                SELECT 'BENCH/' || (%(offset)s + v.n - 1), v.partner, v.partner,
                       v.partner, %(company)s, 'sale',
                       %(now)s - v.days * INTERVAL '1 day', v.amount, 0, v.amount,
                       1.0, %(currency)s, %(now)s, %(now)s, %(uid)s, %(uid)s
                  FROM unnest(%(partner)s::int[], %(days)s::int[],
                              %(amount)s::numeric[])
                       WITH ORDINALITY AS v(partner, days, amount, n)
                """,
                company=company.id,
                currency=company.currency_id.id,
                now=now,
                uid=env.uid,
                offset=n_orders,
                partner=chunk_ids[who].tolist(),
                days=days_ago.tolist(),
                amount=amounts.tolist(),
            )
        )
        n_orders += len(who)
        del who, days_ago, amounts
    cr.execute(SQL("ANALYZE res_partner"))
    cr.execute(SQL("ANALYZE sale_order"))
    env.invalidate_all()
    return company, ids, n_orders, today


def _naive(env, company, ids, today):
    """Per-partner ORM: read the orders, compute the inputs, then search the
    customer's score row of the company and write it (create it when
    missing), one customer at a time, flushed after each."""
    Partner = env["res.partner"].with_company(company)
    SaleOrder = env["sale.order"]
    Score = env["crm.relationship.score"].sudo()
    start = time.perf_counter()
    since = fields.Datetime.to_datetime(today - timedelta(days=WINDOW))
    for partner in Partner.browse(ids):
        orders = SaleOrder.search(
            [
                ("partner_id", "child_of", partner.id),
                ("state", "=", "sale"),
                ("date_order", ">=", since),
                ("company_id", "=", company.id),
            ]
        )
        days = {}
        for order in orders:
            day = order.date_order.date()
            days[day] = days.get(day, 0.0) + order.amount_untaxed / (
                order.currency_rate or 1.0
            )
        if not days:
            continue
        first, last = min(days), max(days)
        values = {
            "rfm_frequency": len(days),
            "rfm_monetary": sum(days.values()),
            "purchase_gap_days": (last - first).days / max(len(days) - 1, 1),
            "last_purchase_date": last,
            "first_purchase_date": first,
            "currency_id": company.currency_id.id,
        }
        row = Score.search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)],
            limit=1,
        )
        if row:
            row.write(values)
        else:
            Score.create(dict(values, partner_id=partner.id, company_id=company.id))
        partner.env.flush_all()
    return time.perf_counter() - start


def _table_stats(cr):
    """Rows updated / inserted / HOT-updated so far, per table, of the
    committed work (called right after a commit: this backend's statistics
    are flushed to the shared ones first)."""
    cr.execute("SELECT pg_stat_force_next_flush()")
    cr.commit()  # the end of a transaction reports the statistics
    cr.execute("SELECT pg_stat_clear_snapshot()")
    cr.execute(
        SQL(
            "SELECT relname, n_tup_upd, n_tup_ins, n_tup_hot_upd "
            "FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            ["res_partner", SCORE_TABLE, *HISTORY_TABLES],
        )
    )
    rows = {name: (upd, ins, hot) for name, upd, ins, hot in cr.fetchall()}
    cr.commit()
    return rows


def _vacuum(cr, tables):
    """VACUUM ANALYZE ``tables`` (outside a transaction), as autovacuum does
    between two nights."""
    cr.commit()
    cr._cnx.autocommit = True
    try:
        for table in tables:
            cr.execute(SQL("VACUUM ANALYZE %s", SQL.identifier(table)))
    finally:
        cr._cnx.autocommit = False


def _stats_delta(before, after):
    def delta(table, kind):
        return after.get(table, (0, 0, 0))[kind] - before.get(table, (0, 0, 0))[kind]

    return {
        "res_partner_updated": delta("res_partner", 0),
        "score_updated": delta(SCORE_TABLE, 0),
        "score_inserted": delta(SCORE_TABLE, 1),
        "score_hot_updated": delta(SCORE_TABLE, 2),
        "snapshot_inserted": delta(HISTORY_TABLES[0], 1),
        "stage_history_inserted": delta(HISTORY_TABLES[1], 1),
    }


def _proc_status_mb(key):
    """``key`` (``VmRSS``, ``VmHWM``) of /proc/self/status in MB, or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_hwm():
    """Reset the kernel's RSS high-water mark of this process to its current
    RSS; False when not permitted (or not Linux)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return _proc_status_mb("VmHWM") is not None


class _Tracer:
    """``BENCH_TRACE``: time and largest RSS of the scoring job's methods.

    Wraps methods of the registry's classes for the duration of the
    benchmark (the process ends after it); a thread samples VmRSS every
    20 ms and charges it to the innermost method running.
    """

    METHODS = {
        "crm.relationship.score.run": ("_score_retention",),
        # the plain class of models/score_job.py
        "ScoreJob": (
            "prepare_facts",
            "extract",
            "loyalty_inputs",
            "health_inputs",
            "order_statistics",
            "batch_stats",
            "evaluate",
            "complaints",
            "health",
            "write_batch",
            "stage_values",
            "plan_first_tiers",
            "upsert_queries",
            "clear_stale",
            "record_history",
            "at_risk_activities",
            "store_calibration",
        ),
        "res.partner": (
            "_relationship_fetch_stats",
            "_relationship_store_stats",
            "_relationship_move_to_phases",
            "_relationship_target_phases",
            "_relationship_set_stage",
            "_relationship_assign_tiers",
            "_relationship_tier_values",
        ),
        "crm.relationship.tier": ("_assign",),
    }

    def __init__(self, env):
        self.stack = []
        self.figures = {}
        self.stop = threading.Event()
        for model, names in self.METHODS.items():
            cls = ScoreJob if model == "ScoreJob" else type(env[model])
            for name in names:
                if hasattr(cls, name):
                    setattr(
                        cls, name, self._wrap(f"{model}.{name}", getattr(cls, name))
                    )
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _wrap(self, label, method):
        tracer = self

        def wrapper(*args, **kwargs):
            tracer.stack.append(label)
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                entry = tracer.figures.setdefault(label, [0, 0.0, 0.0])
                entry[0] += 1
                entry[1] += time.perf_counter() - start
                tracer.stack.pop()

        return wrapper

    def _sample(self):
        while not self.stop.wait(0.02):
            rss = _proc_status_mb("VmRSS") or 0.0
            stack = list(self.stack)
            for label in stack or ["(outside)"]:
                entry = self.figures.setdefault(label, [0, 0.0, 0.0])
                entry[2] = max(entry[2], rss)

    def report(self, title):
        lines = [f"--- {title}: calls, seconds, max RSS MB"]
        for label, (calls, seconds, rss) in sorted(
            self.figures.items(), key=lambda item: -item[1][1]
        ):
            lines.append(f"{label:55s} {calls:6d} {seconds:9.2f} {rss:9.1f}")
        print("\n".join(lines), file=sys.stderr, flush=True)
        self.figures = {}


def _floor(env, company, ids, today):
    """Seconds of the physical floor of a nightly run on the benchmark's data.

    (a) one aggregate of the company's confirmed orders per commercial
    customer and order day, rolled up to one fetched row per customer (what
    the extraction must deliver); (b) a COPY from an in-memory buffer of one
    row per customer (id and ``FLOOR_COLUMNS`` float columns) into a
    temporary table; (c) one UPDATE from it of a narrow temporary table with
    the same columns and a primary key, pre-filled with one row per customer.
    The temporary tables are dropped afterwards.
    """
    cr = env.cr
    env.flush_all()
    start = time.perf_counter()
    cr.execute(
        SQL(
            """
            SELECT customer, COUNT(*), MIN(day), MAX(day), SUM(amount),
                   SUM(orders)
              FROM (
                    SELECT p.commercial_partner_id AS customer,
                           so.date_order::date AS day,
                           SUM(so.amount_untaxed
                               / COALESCE(NULLIF(so.currency_rate, 0), 1.0))
                               AS amount,
                           COUNT(*) AS orders
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale'
                       AND so.company_id = %(company)s
                       AND so.date_order >= %(since)s
                       AND so.date_order < %(until)s
                     GROUP BY 1, 2
                   ) AS days
             GROUP BY customer
            """,
            company=company.id,
            since=fields.Datetime.to_datetime(today - timedelta(days=WINDOW)),
            until=fields.Datetime.to_datetime(today + timedelta(days=1)),
        )
    )
    # fetched (converted to Python rows) in chunks: the same work, without
    # holding a million rows at once
    customers = 0
    while rows := cr.fetchmany(FLOOR_FETCH):
        customers += len(rows)
    del rows
    aggregate = time.perf_counter() - start

    column_names = [f"c{i}" for i in range(1, FLOOR_COLUMNS + 1)]
    columns = [SQL.identifier(name) for name in column_names]
    typed = SQL(", ").join(SQL("%s float8", c) for c in columns)
    names = SQL(", ").join(columns)
    cr.execute(SQL("CREATE TEMP TABLE bench_floor_in (id int4, %s)", typed))
    cr.execute(
        SQL("CREATE TEMP TABLE bench_floor_out (id int4 PRIMARY KEY, %s)", typed)
    )
    cr.execute(
        SQL(
            "INSERT INTO bench_floor_out (id) SELECT unnest(%s::int4[])",
            ids,
        )
    )
    cr.execute("ANALYZE bench_floor_out")
    rng = np.random.default_rng(SEED + 1)
    start = time.perf_counter()
    # a byte buffer built FLOOR_FETCH rows at a time (a str buffer of a
    # million rows would take 4 bytes per character)
    buffer = io.BytesIO()
    id_array = np.asarray(ids, dtype=np.float64)
    for lo in range(0, len(ids), FLOOR_FETCH):
        chunk = id_array[lo : lo + FLOOR_FETCH]
        values = np.round(rng.gamma(2.0, 50.0, (len(chunk), FLOOR_COLUMNS)), 6)
        np.savetxt(
            buffer,
            np.column_stack([chunk, values]),
            fmt=["%d"] + ["%.6f"] * FLOOR_COLUMNS,
            delimiter="\t",
        )
    del id_array, values
    buffer.seek(0)
    build = time.perf_counter() - start

    start = time.perf_counter()
    copy_sql = SQL("COPY bench_floor_in (id, %s) FROM STDIN", names)
    cr.copy_expert(copy_sql.code, buffer)
    copy = time.perf_counter() - start
    cr.execute("ANALYZE bench_floor_in")

    start = time.perf_counter()
    cr.execute(
        SQL(
            "UPDATE bench_floor_out o SET %s FROM bench_floor_in i WHERE o.id = i.id",
            SQL(", ").join(
                SQL("%s = %s", SQL.identifier(name), SQL.identifier("i", name))
                for name in column_names
            ),
        )
    )
    updated = cr.rowcount
    update = time.perf_counter() - start
    cr.execute("DROP TABLE bench_floor_in, bench_floor_out")
    return {
        "seconds": aggregate + copy + update,
        "parts": {
            "aggregate": round(aggregate, 3),
            "copy": round(copy, 3),
            "update": round(update, 3),
        },
        "customers": customers,
        "rows_updated": updated,
        "copy_buffer_seconds": round(build, 3),
    }


def _timed_run(env, company, today, tracer=None, title=""):
    Run = env["crm.relationship.score.run"]
    env.flush_all()
    env.cr.commit()
    queries = env.cr.sql_log_count
    stats = _table_stats(env.cr)
    hwm = _reset_hwm()
    rss_before = _proc_status_mb("VmRSS")
    # as the scheduled action's worker: commits after each batch
    cron = env.ref("crm_relationship_scoring.ir_cron_relationship_scores")
    start = time.perf_counter()
    run = Run.with_context(cron_id=cron.id)._compute_scores(
        company, force=True, batch_size=BATCH, today=today
    )
    env.flush_all()
    env.cr.commit()
    total = time.perf_counter() - start
    peak = _proc_status_mb("VmHWM") if hwm else _maxrss_mb()
    rows = _stats_delta(stats, _table_stats(env.cr))
    if tracer:
        tracer.report(title)
    return (
        run,
        rows,
        {
            "seconds": {
                "extract": round(run.time_extract, 2),
                "engine": round(run.time_engine, 2),
                "write_back": round(run.time_write, 2),
                "tiers_stages": round(run.time_rules, 2),
                "total": round(total, 2),
            },
            "queries": env.cr.sql_log_count - queries,
        },
        {
            "peak": peak,
            "before": rss_before,
            "source": (
                "VmHWM after a reset through /proc/self/clear_refs (scoring only)"
                if hwm
                else "ru_maxrss (process high-water mark, fixture included)"
            ),
        },
    )


def run(env):
    started = time.perf_counter()
    company, ids, n_orders, today = _insert_fixture(env)
    env.cr.commit()
    _vacuum(env.cr, ["res_partner", "sale_order"])
    fixture_seconds = time.perf_counter() - started
    rss_fixture_mb = _maxrss_mb()
    tracer = _Tracer(env) if TRACE else None
    # first run: every customer gets a score row and is placed in a stage and
    # a tier
    run, first_rows, first, first_rss = _timed_run(
        env, company, today, tracer, "first run"
    )
    # the day passes: autovacuum prunes the first night's old row versions
    _vacuum(
        env.cr,
        [
            SCORE_TABLE,
            "res_partner",
            *HISTORY_TABLES,
            "crm_relationship_transition",
        ],
    )
    # the next night's run: every customer's recency and scores change, the
    # stages and tiers of a few (the steady state of the scheduled action)
    next_night = today + timedelta(days=1)
    rerun_run, rerun_rows, rerun, rerun_rss = _timed_run(
        env, company, next_night, tracer, "next night"
    )
    history_count_next_night = rerun_run.history_count
    extras_hwm = _reset_hwm()
    floor = _floor(env, company, ids, next_night)
    sample = ids[:: max(len(ids) // NAIVE_SAMPLE, 1)][:NAIVE_SAMPLE]
    naive = _naive(env, company, sample, today)
    extras_peak = _proc_status_mb("VmHWM") if extras_hwm else _maxrss_mb()
    naive_extrapolated = naive * len(ids) / len(sample)
    first_total = first["seconds"]["total"]
    rerun_total = rerun["seconds"]["total"]
    process_peak = max(
        rss_fixture_mb,
        _maxrss_mb(),
        first_rss["peak"] or 0.0,
        rerun_rss["peak"] or 0.0,
        extras_peak or 0.0,
    )
    figures = {
        "benchmark": "crm_relationship_scoring",
        "partners": len(ids),
        "orders": n_orders,
        "customers_scored": run.customer_count,
        "repeaters": run.repeat_customer_count,
        "method": run.method,
        "fallback_reason": run.reason or "",
        "batch_size": BATCH,
        **first,
        "rerun": rerun,
        "peak_rss_mb": round(max(first_rss["peak"], rerun_rss["peak"]), 1),
        "peak_rss_mb_first_run": round(first_rss["peak"], 1),
        "peak_rss_mb_next_night": round(rerun_rss["peak"], 1),
        "rss_mb_before_first_run": round(first_rss["before"] or 0.0, 1),
        "rss_mb_before_next_night": round(rerun_rss["before"] or 0.0, 1),
        "peak_rss_source": first_rss["source"],
        "peak_rss_mb_after_fixture": round(rss_fixture_mb, 1),
        "peak_rss_mb_floor_and_naive": round(extras_peak or 0.0, 1),
        "peak_rss_mb_process": round(process_peak, 1),
        "fixture_seconds": round(fixture_seconds, 2),
        "naive_orm": {
            "partners": len(sample),
            "seconds": round(naive, 2),
            "per_partner_ms": round(1000 * naive / len(sample), 3),
            "extrapolated_seconds": round(naive_extrapolated, 1),
        },
        "engine_seconds": rerun["seconds"]["engine"],
        # the holdout check of the next night's run (one aggregate, one fit;
        # counted in its engine seconds)
        "calibration_seconds": round(rerun_run.calibration_time, 3),
        "calibration_gap": round(rerun_run.calibration_gap, 2),
        "floor": round(floor["seconds"], 3),
        "floor_parts": floor["parts"],
        "floor_customers": floor["customers"],
        "floor_copy_buffer_seconds": floor["copy_buffer_seconds"],
        "ratio_next_night_to_floor": round(rerun_total / floor["seconds"], 2),
        "ratio_first_run_to_floor": round(first_total / floor["seconds"], 2),
        "ratio_naive_to_next_night": round(naive_extrapolated / rerun_total, 1),
        "res_partner_rows_updated_first_run": first_rows["res_partner_updated"],
        "res_partner_rows_updated_next_night": rerun_rows["res_partner_updated"],
        "score_rows_inserted_first_run": first_rows["score_inserted"],
        "score_rows_updated_first_run": first_rows["score_updated"],
        "score_rows_inserted_next_night": rerun_rows["score_inserted"],
        "score_rows_updated_next_night": rerun_rows["score_updated"],
        "score_rows_hot_updated_next_night": rerun_rows["score_hot_updated"],
        "history_rows_first_run": first_rows["snapshot_inserted"],
        "history_rows_next_night": rerun_rows["snapshot_inserted"],
        "history_count_next_night": history_count_next_night,
        "stage_history_rows_first_run": first_rows["stage_history_inserted"],
        "stage_history_rows_next_night": rerun_rows["stage_history_inserted"],
    }
    if tracer:
        tracer.stop.set()
    env.cr.rollback()
    print(json.dumps(figures))


run(env)  # noqa: F821 - `env` is provided by odoo-bin shell
