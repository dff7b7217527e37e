"""Benchmark: the daily relationship rule job on 10,000 customers.

Run with ``make bench`` (``python3 setup/dev.py bench``). It runs inside
``odoo-bin shell`` on the test database, inserts 10,000 customers
(``BENCH_RULES_PARTNERS``) and about
40,000 confirmed orders in bulk, runs the job once to place everyone, then
measures a second run (the daily case), prints queries and seconds, and rolls
everything back.
"""

import os
import time

from odoo.tools import SQL

from odoo.addons.crm_relationship.models.crm_relationship_job_failure import (
    PROGRESS_PARAM,
)
from odoo.addons.crm_relationship.models.res_partner import RULES_JOB

N_PARTNERS = int(os.environ.get("BENCH_RULES_PARTNERS", "10000"))
BATCH = 500


def _insert_fixture(env):
    cr = env.cr
    company = env.company
    partners = (
        env["res.partner"]
        .with_context(tracking_disable=True, mail_create_nolog=True)
        .create(
            [
                # no stage yet: the rules place them
                {
                    "name": f"Bench customer {i}",
                    "is_company": True,
                    "relationship_stage_id": False,
                }
                for i in range(N_PARTNERS)
            ]
        )
    )
    env.flush_all()
    ids = partners.ids
    # 0..7 orders per customer spread over three years
    cr.execute(
        SQL(
            """
            INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                                    partner_shipping_id, company_id, state,
                                    date_order, amount_untaxed, amount_total,
                                    currency_rate, currency_id, create_date,
                                    write_date)
            SELECT 'BENCH/' || p.id || '/' || k, p.id, p.id, p.id, %(company)s,
                   'sale',
                   NOW() - (mod(p.id * 37 + k * 101, 1095)) * INTERVAL '1 day',
                   50 + mod(p.id * k, 400), 50 + mod(p.id * k, 400), 1.0,
                   %(currency)s, NOW(), NOW()
              FROM unnest(%(ids)s::int[]) AS p(id)
              JOIN LATERAL generate_series(1, mod(p.id, 8)) AS k ON TRUE
            """,
            company=company.id,
            currency=company.currency_id.id,
            ids=ids,
        )
    )
    env.invalidate_all()
    return env["res.partner"].browse(ids)


def run(env):
    partners = _insert_fixture(env)
    orders = env["sale.order"].search_count([("name", "=like", "BENCH/%")])
    Partner = env["res.partner"].with_context(tracking_disable=True)
    domain = [("id", "in", partners.ids)]
    original = type(Partner)._relationship_rule_domain
    type(Partner)._relationship_rule_domain = lambda self: domain
    try:
        figures = []
        for label in ("first placement", "daily run"):
            # where today's job stopped is kept in a system parameter (never
            # on the partners): forgotten, so that the job runs again today
            env["ir.config_parameter"].sudo().set_param(
                PROGRESS_PARAM % RULES_JOB, False
            )
            env.invalidate_all()
            queries = env.cr.sql_log_count
            start = time.perf_counter()
            Partner._cron_relationship_rules(batch_size=BATCH)
            env.flush_all()
            figures.append(
                (label, env.cr.sql_log_count - queries, time.perf_counter() - start)
            )
    finally:
        type(Partner)._relationship_rule_domain = original
        env.cr.rollback()
    print(f"customers: {len(partners)}, confirmed orders: {orders}, batch: {BATCH}")
    for label, queries, seconds in figures:
        print(
            f"{label:>16}: {queries:6d} queries "
            f"({queries / len(partners):.3f} per customer), {seconds:6.1f} s"
        )


run(env)  # noqa: F821 - `env` is provided by odoo-bin shell
