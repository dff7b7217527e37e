"""Benchmark: products bought together and suggested products, 100,000
customers.

Run with ``python3 setup/dev.py bench benchmarks/bench_affinity.py`` (``make
bench`` runs it too). It runs inside ``odoo-bin shell`` on a scratch copy of
the test database (dropped afterwards):

1. creates a company of its own, a catalogue of ``BENCH_PRODUCTS`` products
   (default 2,000; ORM) and ``BENCH_PARTNERS`` customers (default 100,000;
   SQL), each with about 11 confirmed orders (1 + Poisson(10)) spread over
   the scoring window and 1-4 lines each, inserted with ``INSERT ... SELECT
   unnest`` ``SIM_CHUNK`` customers at a time. Product popularity follows a
   Zipf law; a planted association structure makes the products go by pairs
   (2k, 2k + 1): a basket holding the first of a pair holds the second too
   in 40 % of the cases, so the engine has real rules to find besides the
   noise;
2. runs one whole pass of the job for that company
   (``crm.relationship.product.affinity._refresh_affinities``: extraction,
   engine, delete + insert of the affinities, suggestions written by ranges
   of ``BENCH_BATCH`` customers) and commits it;
3. prints ONE JSON line: seconds of the extraction, the engine (associations
   and suggestions) and the writes, rules kept, suggestions written, and the
   peak RSS of this process during the pass (``VmHWM`` after resetting it,
   as ``bench_scoring.py`` does; ``ru_maxrss`` where not permitted).
   PostgreSQL's own memory is not included.
"""

import json
import os
import resource
import time
from datetime import timedelta

import numpy as np

from odoo import fields
from odoo.tools import SQL

from odoo.addons.crm_relationship_scoring.engine import affinity as engine

N_PARTNERS = int(os.environ.get("BENCH_PARTNERS", "100000"))
N_PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "2000"))
BATCH = int(os.environ.get("BENCH_BATCH", "5000"))
WINDOW = 1095
SEED = 20261116
SIM_CHUNK = 20_000
#: a basket holding product 2k also holds 2k + 1 with this probability
PAIR_PROBABILITY = 0.4


def _simulate(rng, n_customers):
    """Orders and lines of ``n_customers`` customers: ``(customer of each
    order, days ago of each order, order of each line, product of each
    line)``, local indices."""
    per_customer = 1 + rng.poisson(10.0, n_customers)
    order_customer = np.repeat(np.arange(n_customers), per_customer)
    n_orders = order_customer.size
    days_ago = rng.integers(1, WINDOW, n_orders)
    draws = rng.integers(1, 5, n_orders)
    popularity = 1.0 / np.arange(1, N_PRODUCTS + 1) ** 0.9
    popularity /= popularity.sum()
    line_order = np.repeat(np.arange(n_orders), draws)
    line_product = rng.choice(N_PRODUCTS, line_order.size, p=popularity)
    # the planted pairs: 2k brings 2k + 1 along
    lead = (line_product % 2 == 0) & (line_product + 1 < N_PRODUCTS)
    brings = lead & (rng.random(line_order.size) < PAIR_PROBABILITY)
    line_order = np.concatenate([line_order, line_order[brings]])
    line_product = np.concatenate([line_product, line_product[brings] + 1])
    # one line per product and order
    key = np.unique(line_order * N_PRODUCTS + line_product)
    return order_customer, days_ago, key // N_PRODUCTS, key % N_PRODUCTS


def _insert_fixture(env):
    cr = env.cr
    company = env["res.company"].create(
        {
            "name": "Bench Affinity Co",
            "relationship_score_lookback_days": WINDOW,
            "relationship_affinity_min_orders": 5,
            "relationship_affinity_min_lift": 1.2,
            "relationship_suggestion_count": 5,
        }
    )
    env.user.company_ids |= company
    products = env["product.product"].create(
        [
            {
                "name": f"Bench product {i:05d}",
                "type": "consu",
                "list_price": 10.0 + i % 90,
                "sale_ok": True,
            }
            for i in range(N_PRODUCTS)
        ]
    )
    product_ids = np.asarray(products.ids, dtype=np.int64)
    uom = products[:1].uom_id.id
    now = fields.Datetime.now()
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, active, is_company, type,
                                     company_id, autopost_bills, create_date,
                                     write_date, create_uid, write_uid)
            SELECT 'Bench buyer ' || g, 'Bench buyer ' || g, TRUE, TRUE,
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
    ids = np.asarray(sorted(pid for (pid,) in cr.fetchall()), dtype=np.int64)
    cr.execute(
        SQL(
            "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
            ids.tolist(),
        )
    )
    rng = np.random.default_rng(SEED)
    n_orders = n_lines = 0
    for start in range(0, ids.size, SIM_CHUNK):
        chunk_ids = ids[start : start + SIM_CHUNK]
        order_customer, days_ago, line_order, line_product = _simulate(
            rng, chunk_ids.size
        )
        cr.execute(
            SQL(
                """
                INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                                        partner_shipping_id, company_id, state,
                                        date_order, amount_untaxed, amount_tax,
                                        amount_total, currency_rate, currency_id,
                                        create_date, write_date, create_uid,
                                        write_uid)
                SELECT 'BENCHA/' || (%(offset)s + v.n), v.partner, v.partner,
                       v.partner, %(company)s, 'sale',
                       %(now)s - v.days * INTERVAL '1 day', 0, 0, 0, 1.0,
                       %(currency)s, %(now)s, %(now)s, %(uid)s, %(uid)s
                  FROM unnest(%(partner)s::int[], %(days)s::int[])
                       WITH ORDINALITY AS v(partner, days, n)
                RETURNING id, name
                """,
                offset=n_orders,
                company=company.id,
                currency=company.currency_id.id,
                now=now,
                uid=env.uid,
                partner=chunk_ids[order_customer].tolist(),
                days=days_ago.tolist(),
            )
        )
        by_number = dict(
            (int(name.rsplit("/", 1)[1]) - n_orders - 1, oid)
            for oid, name in cr.fetchall()
        )
        order_ids = np.asarray(
            [by_number[i] for i in range(order_customer.size)], dtype=np.int64
        )
        cr.execute(
            SQL(
                """
                INSERT INTO sale_order_line (order_id, sequence, name, product_id,
                                             product_uom, product_uom_qty,
                                             price_unit, customer_lead, company_id,
                                             currency_id, state, create_date,
                                             write_date, create_uid, write_uid)
                SELECT l.order_id, 10, 'Bench line', l.product_id, %(uom)s, 1,
                       10.0, 0, %(company)s, %(currency)s, 'sale', %(now)s,
                       %(now)s, %(uid)s, %(uid)s
                  FROM unnest(%(order)s::int[], %(product)s::int[])
                       AS l(order_id, product_id)
                """,
                uom=uom,
                company=company.id,
                currency=company.currency_id.id,
                now=now,
                uid=env.uid,
                order=order_ids[line_order].tolist(),
                product=product_ids[line_product].tolist(),
            )
        )
        n_orders += order_customer.size
        n_lines += line_order.size
    for table in ("res_partner", "sale_order", "sale_order_line"):
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    env.invalidate_all()
    cr.commit()
    return company, n_orders, n_lines


def _proc_status_mb(key):
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return _proc_status_mb("VmHWM") is not None


class Timer:
    """Adds the time spent in the wrapped functions to ``seconds[label]``."""

    def __init__(self):
        self.seconds = {}
        self.results = {}
        self._undo = []

    def wrap(self, owner, name, label):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            result = original(*args, **kwargs)
            self.seconds[label] = (
                self.seconds.get(label, 0.0) + time.perf_counter() - start
            )
            self.results.setdefault(name, []).append(result)
            return result

        setattr(owner, name, wrapper)
        self._undo.append((owner, name, original))

    def restore(self):
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)


def run(env):
    env = env(context=dict(env.context, tracking_disable=True))
    started = time.perf_counter()
    company, n_orders, n_lines = _insert_fixture(env)
    fixture_seconds = time.perf_counter() - started
    Affinity = env["crm.relationship.product.affinity"]
    Suggestion = env["crm.relationship.product.suggestion"]
    timer = Timer()
    timer.wrap(type(Affinity), "_affinity_extract", "extract")
    timer.wrap(engine, "associations", "engine_associations")
    timer.wrap(engine, "suggestions", "engine_suggestions")
    timer.wrap(type(Affinity), "_affinity_write", "write_affinities")
    timer.wrap(type(Suggestion), "_suggestion_replace_range", "write_suggestions")
    hwm = _reset_hwm()
    rss_before = _proc_status_mb("VmRSS")
    start = time.perf_counter()
    try:
        customers = Affinity._refresh_affinities(company, batch_size=BATCH, force=True)
        env.cr.commit()
    finally:
        timer.restore()
    total = time.perf_counter() - start
    peak = (
        _proc_status_mb("VmHWM")
        if hwm
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    env.cr.execute(
        SQL(
            "SELECT COUNT(*) FROM crm_relationship_product_affinity "
            "WHERE company_id = %s",
            company.id,
        )
    )
    pairs = env.cr.fetchone()[0]
    env.cr.execute(
        SQL(
            "SELECT COUNT(*), COUNT(DISTINCT partner_id) "
            "FROM crm_relationship_product_suggestion WHERE company_id = %s",
            company.id,
        )
    )
    suggestions, suggested_customers = env.cr.fetchone()
    # the planted pairs found among the kept rules
    assoc = timer.results["associations"][0]
    data_products = np.asarray(
        env["product.product"]
        .search([("name", "=like", "Bench product %")], order="id")
        .ids
    )
    position = {pid: i for i, pid in enumerate(data_products.tolist())}
    env.cr.execute(
        SQL(
            "SELECT product_id, related_product_id FROM "
            "crm_relationship_product_affinity WHERE company_id = %s",
            company.id,
        )
    )
    planted = sum(
        1 for a, b in env.cr.fetchall() if position[a] // 2 == position[b] // 2
    )
    seconds = {
        key: round(timer.seconds.get(key, 0.0), 2)
        for key in (
            "extract",
            "engine_associations",
            "engine_suggestions",
            "write_affinities",
            "write_suggestions",
        )
    }
    seconds["engine"] = round(
        seconds["engine_associations"] + seconds["engine_suggestions"], 2
    )
    seconds["write"] = round(
        seconds["write_affinities"] + seconds["write_suggestions"], 2
    )
    seconds["total"] = round(total, 2)
    print(
        json.dumps(
            {
                "benchmark": "crm_relationship_scoring.affinity",
                "date": fields.Date.to_string(fields.Date.today()),
                "partners": N_PARTNERS,
                "products": N_PRODUCTS,
                "orders": int(n_orders),
                "order_lines": int(n_lines),
                "baskets": assoc.n_baskets,
                "customers": int(customers),
                "batch_size": BATCH,
                "seconds": seconds,
                "pairs_kept": int(pairs),
                "planted_pairs_kept": int(planted),
                "suggestions_written": int(suggestions),
                "customers_with_suggestions": int(suggested_customers),
                "peak_rss_mb": round(peak or 0.0, 1),
                "rss_mb_before": round(rss_before or 0.0, 1),
                "peak_rss_source": "VmHWM" if hwm else "ru_maxrss",
                "fixture_seconds": round(fixture_seconds, 2),
                "window_days": WINDOW,
                "window_end": fields.Date.to_string(
                    fields.Date.today() - timedelta(days=1)
                ),
            }
        )
    )


run(env)  # noqa: F821 - `env` is provided by odoo-bin shell
