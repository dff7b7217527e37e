import json
from datetime import timedelta
from unittest.mock import patch

import numpy as np

from odoo.tools import SQL

from ..engine import facts as order_facts
from ..models import score_job
from .common import ScoringCase


class TestExtraction(ScoringCase):
    """What the scoring job reads: one aggregate per company."""

    def _row(self, data, partner):
        self.assertIn(partner.id, data["ids"])
        i = data["ids"].index(partner.id)
        return {
            key: float(data[key][i])
            for key in (
                "frequency",
                "recency",
                "T",
                "monetary",
                "recency_days",
                "purchase_days",
                "net",
                "gap",
                "orders_12m",
            )
        }

    def _refund(self, customer, company, amount):
        """A draft customer refund of ``amount`` dated 5 days ago."""
        return self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": customer.id,
                "company_id": company.id,
                "invoice_date": self.today - timedelta(days=5),
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.product.id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [(6, 0, [])],
                        },
                    )
                ],
            }
        )

    def _extract(self, company=None):
        return self.Run._score_job().extract(company or self.company, self.today)

    def test_foreign_currency_orders_are_converted(self):
        company_currency = self.company.currency_id
        foreign = (
            self.env.ref("base.EUR")
            if company_currency != self.env.ref("base.EUR")
            else self.env.ref("base.USD")
        )
        foreign.active = True
        self.env["res.currency.rate"].search(
            [("currency_id", "in", (foreign | company_currency).ids)]
        ).unlink()
        self.env["res.currency.rate"].create(
            {
                "name": "2000-01-01",
                "currency_id": foreign.id,
                "rate": 4.0,
                "company_id": self.company.id,
            }
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Export", "currency_id": foreign.id, "company_id": self.company.id}
        )
        customer = self._customer("Rhine Tea Import")
        orders = self._orders(
            [
                (customer, 40, 100.0),
                (customer, 10, 800.0, {"pricelist_id": pricelist.id}),
            ]
        )
        self.assertEqual(orders[1].currency_id, foreign)
        self.assertAlmostEqual(orders[1].currency_rate, 4.0, places=6)
        row = self._row(self._extract(), customer)
        # 800 in the foreign currency at 4 per unit = 200 in company currency
        self.assertAlmostEqual(row["net"], 300.0, places=2)
        self.assertAlmostEqual(row["monetary"], 200.0, places=2)
        self.assertEqual(row["frequency"], 1)
        self.assertEqual(row["recency"], 30)
        self.assertEqual(row["T"], 40)
        self.assertEqual(row["recency_days"], 10)

    def test_posted_refunds_are_subtracted(self):
        # refunds need the main company's accounting (journals, accounts)
        company = self.main_company
        customer = self._customer("Lantern Gift Shop")
        self._orders([(customer, 100, 500.0), (customer, 40, 300.0)], company=company)
        for amount, post in ((200.0, True), (90.0, False)):
            refund = self._refund(customer, company, amount)
            if post:
                refund.action_post()
        row = self._row(self._extract(company), customer)
        # 800 - 200 posted (the draft refund does not count), spread over the
        # purchase days in proportion: the repeat day is worth 300 * 600 / 800
        self.assertAlmostEqual(row["net"], 600.0, places=2)
        self.assertAlmostEqual(row["monetary"], 225.0, places=2)
        self.assertEqual(row["purchase_days"], 2)

    def test_cancelled_orders_and_quotations_are_ignored(self):
        customer = self._customer("Bamboo Corner")
        self._orders([(customer, 20, 100.0)])
        cancelled = self._orders([(customer, 5, 1000.0)])
        cancelled._action_cancel()
        self.assertEqual(cancelled.state, "cancel")
        self._orders([(customer, 3, 700.0)], confirm=False)
        row = self._row(self._extract(), customer)
        self.assertEqual(row["purchase_days"], 1)
        self.assertEqual(row["frequency"], 0)
        self.assertAlmostEqual(row["net"], 100.0)
        # one-time buyers: the value of their only purchase day
        self.assertAlmostEqual(row["monetary"], 100.0)
        self.assertEqual(row["recency_days"], 20)

    def test_orders_outside_the_window_are_ignored(self):
        self.company.relationship_score_lookback_days = 100
        customer = self._customer("Old Friend Teas")
        self._orders([(customer, 150, 900.0), (customer, 60, 50.0)])
        row = self._row(self._extract(), customer)
        self.assertEqual(row["purchase_days"], 1)
        self.assertAlmostEqual(row["net"], 50.0)
        self.assertEqual(row["T"], 60)

    def test_partners_without_orders_are_not_scored(self):
        buyer = self._customer("Willow Tea Room")
        idle = self._customer("Window Shopper")
        self._orders([(buyer, 15, 80.0)])
        self._orders([(idle, 2, 300.0)], confirm=False)
        data = self._extract()
        self.assertIn(buyer.id, data["ids"])
        self.assertNotIn(idle.id, data["ids"])
        self._score()
        self.assertTrue(buyer.score_date)
        self.assertFalse(idle.score_date)
        self.assertFalse(idle.rfm_segment)
        self.assertEqual(idle.clv_value, 0.0)

    def test_customers_losing_their_orders_are_cleared(self):
        customer = self._customer("Paper Lantern")
        orders = self._orders([(customer, 30, 120.0), (customer, 9, 60.0)])
        self._score(batch_size=1)
        self.assertEqual(customer.rfm_frequency, 2)
        self.assertTrue(customer.rfm_segment)
        orders._action_cancel()
        self._score(force=True)
        self.assertFalse(customer.score_date)
        self.assertFalse(customer.rfm_segment)
        self.assertFalse(customer.score_run_id)
        self.assertEqual(customer.rfm_frequency, 0)

    def test_contacts_roll_up_to_the_commercial_partner(self):
        customer = self._customer("Jade Garden Ltd")
        buyer = self.Partner.create({"name": "Lin Jade", "parent_id": customer.id})
        self._orders(
            [
                (buyer, 50, 100.0),
                (buyer, 50, 50.0),  # same day: one purchase day of 150
                (customer, 5, 80.0),
            ]
        )
        data = self._extract()
        self.assertNotIn(buyer.id, data["ids"])
        row = self._row(data, customer)
        self.assertEqual(row["purchase_days"], 2)
        self.assertEqual(row["frequency"], 1)
        self.assertEqual(row["recency"], 45)
        self.assertEqual(row["T"], 50)
        self.assertEqual(row["gap"], 45)
        self.assertAlmostEqual(row["monetary"], 80.0)
        self.assertAlmostEqual(row["net"], 230.0)
        self.assertEqual(row["orders_12m"], 3)

    def test_companies_are_scored_separately(self):
        other = self.main_company
        own = self._customer("Scoring Co Only", company_id=self.company.id)
        local = self._customer("Main Co Only", company_id=other.id)
        shared = self._customer("Buys Everywhere")
        self._orders([(own, 30, 100.0), (shared, 60, 40.0), (shared, 50, 45.0)])
        self._orders([(local, 20, 70.0), (shared, 10, 999.0)], company=other)
        ours = self._extract()
        theirs = self._extract(other)
        self.assertIn(own.id, ours["ids"])
        self.assertNotIn(local.id, ours["ids"])
        self.assertIn(local.id, theirs["ids"])
        self.assertNotIn(own.id, theirs["ids"])
        # a partner without company belongs to the company of its last order,
        # which scores it on its own orders only
        self.assertNotIn(shared.id, ours["ids"])
        row = self._row(theirs, shared)
        self.assertEqual(row["purchase_days"], 1)
        self.assertAlmostEqual(row["net"], 999.0)
        run = self._score()
        self.assertEqual(own.score_run_id, run)
        self.assertFalse(shared.score_date)
        self.assertFalse(local.score_date)
        self.assertEqual(run.customer_count, 1)

    def test_order_dates_use_the_scoring_day(self):
        customer = self._customer("Day Counter")
        self._orders([(customer, 12, 10.0)])
        data = self.Run._score_job().extract(
            self.company, self.today + timedelta(days=3)
        )
        row = self._row(data, customer)
        self.assertEqual(row["recency_days"], 15)
        self.assertEqual(row["T"], 15)

    def test_statistics_of_the_job_equal_the_base_addon_query(self):
        """The stage statistics the job computes in numpy from the order facts
        (engine/facts.py) are those of the base addon's SQL query: orders in
        two companies (one day in both), a posted refund, a quotation."""
        company = self.main_company
        customer = self._customer("Two Shops Tea House", company_id=False)
        self._orders([(customer, 300, 120.0), (customer, 90, 80.0)])
        self._orders(
            [(customer, 90, 40.0), (customer, 30, 55.5), (customer, 30, 10.25)],
            company=company,
        )
        self._orders([(customer, 2, 99.0)], company=company, confirm=False)
        refund = self._refund(customer, company, 20.0)
        refund.action_post()
        expected = customer._relationship_fetch_stats(self.today)
        job = self.Run.with_company(company)._score_job()
        data = job.extract(company, self.today)
        self.assertIn(customer.id, data["ids"])
        rules, changed = job.batch_stats(customer, self.today)
        figures = changed[customer.id]["figures"]
        self.assertEqual(
            {key: np.asarray(values).tolist() for key, values in rules.items()},
            {
                key: np.asarray(values).tolist()
                for key, values in self.Partner._relationship_rule_columns(
                    expected, customer.ids
                ).items()
                if key != "p_alive"  # the job sets it from its own results
            },
        )
        self.assertEqual(rules["count"].tolist(), [5])
        # gaps 0 (the day in both companies), 0, 60, 210: median 30
        self.assertEqual(rules["median_gap"].tolist(), [30.0])
        self.assertEqual(rules["quotations"].tolist(), [1])
        expected_figures = expected[customer.id]["figures"]
        for name, text in figures.items():
            self.assertEqual(json.loads(text), json.loads(expected_figures[name]))
        # the refund of the main company: 40 + 55.5 + 10.25 - 20
        self.assertEqual(
            json.loads(figures["relationship_revenue_12m"]),
            {str(self.company.id): 200.0, str(company.id): 85.75},
        )
        # once stored (by the base addon), the job's JSON texts are those
        # PostgreSQL prints for them: an unchanged customer is not written
        customer._relationship_store_stats(expected, self.today)
        _rules, changed = job.batch_stats(customer, self.today)
        self.assertEqual(changed, {})
        job.drop_facts()

    def test_staged_texts_read_back(self):
        """Texts are staged as codes of their distinct values and read back
        as they were: numbers written as texts (the RFM code), texts with
        NULLs (a quadrant not measured)."""
        cr = self.env.cr
        cr.execute("CREATE TEMPORARY TABLE staged_texts_test (n int4, x int4)")
        for values, expected in (
            (np.array([155, 511, 155, 555]), ["155", "511", "155", "555"]),
            (
                np.array(["loyal", None, "at_risk", "loyal"], dtype=object),
                ["loyal", None, "at_risk", "loyal"],
            ),
            (np.array(["new", "lost", "new", "new"]), ["new", "lost", "new", "new"]),
        ):
            column = score_job.StagedColumn("x", values, "varchar")
            cr.execute("TRUNCATE staged_texts_test")
            cr.execute(
                "INSERT INTO staged_texts_test "
                "SELECT * FROM unnest(%s::int4[], %s::int4[])",
                [list(range(len(values))), column.binary.astype(int).tolist()],
            )
            cr.execute(
                SQL("SELECT %s FROM staged_texts_test v ORDER BY v.n", column.read)
            )
            self.assertEqual([row[0] for row in cr.fetchall()], expected)
        cr.execute("DROP TABLE staged_texts_test")

    def test_stored_figures_compared_as_numbers(self):
        """A customer of the company alone (most) has its stored figures
        compared as numbers, read without a text per partner: unchanged
        figures are not written; a new order, a revenue stored for a
        customer without revenue, another company's key left in a figure
        and a figure emptied by hand are each written again, with the texts
        of the base addon's query."""
        customer = self._customer("Numbers Tea House")
        self._orders([(customer, 40, 70.0), (customer, 10, 30.5)])
        job = self.Run.with_company(self.company)._score_job()
        Partner = self.Partner.with_company(self.company)
        key = str(self.company.id)
        other = str(self.main_company.id)

        def changed():
            job.extract(self.company, self.today)
            _rules, result = job.batch_stats(Partner.browse(customer.id), self.today)
            job.drop_facts()
            return result

        def expected():
            return Partner.browse(customer.id)._relationship_fetch_stats(self.today)

        def store(stats):
            Partner.browse(customer.id)._relationship_store_stats(stats, self.today)

        def tamper(column, value):
            self.env.cr.execute(
                SQL(
                    "UPDATE res_partner SET %s = %s WHERE id = %s",
                    SQL.identifier(column),
                    value,
                    customer.id,
                )
            )
            customer.invalidate_recordset()

        first = changed()
        self.assertEqual(set(first), {customer.id})
        for name, text in first[customer.id]["figures"].items():
            self.assertEqual(
                json.loads(text),
                json.loads(expected()[customer.id]["figures"][name]),
            )
        store(expected())
        # compared as numbers: no text made for an unchanged customer
        with patch.object(
            score_job.ScoreJob,
            "figure_texts",
            autospec=True,
            side_effect=score_job.ScoreJob.figure_texts,
        ) as texts:
            self.assertEqual(changed(), {})
        texts.assert_not_called()
        # a new order: the dates, orders and revenue change
        self._orders([(customer, 2, 12.25)])
        new = changed()
        self.assertEqual(
            json.loads(new[customer.id]["figures"]["relationship_order_count"]),
            {key: 3},
        )
        self.assertEqual(
            json.loads(new[customer.id]["figures"]["relationship_revenue_12m"]),
            {key: 112.75},
        )
        store(expected())
        self.assertEqual(changed(), {})
        # another company's key left in one figure: compared as texts, and
        # written without it
        last = str(Partner.browse(customer.id).relationship_last_order_date)
        tamper(
            "relationship_last_order_date",
            json.dumps({key: last, other: "2001-01-01"}),
        )
        stale = changed()
        self.assertEqual(set(stale), {customer.id})
        self.assertEqual(
            set(
                json.loads(
                    stale[customer.id]["figures"]["relationship_last_order_date"]
                )
            ),
            {key},
        )
        store(expected())
        self.assertEqual(changed(), {})
        # a figure emptied, then a revenue that does not match
        tamper("relationship_order_count", None)
        self.assertEqual(set(changed()), {customer.id})
        store(expected())
        tamper("relationship_revenue_12m", json.dumps({key: 112.5}))
        self.assertEqual(set(changed()), {customer.id})
        tamper("relationship_revenue_12m", None)
        self.assertEqual(set(changed()), {customer.id})
        # a date that is not one (written by other means): compared as
        # texts, written again; the pass goes on
        tamper("relationship_first_order_date", json.dumps({key: "someday"}))
        garbled = changed()
        self.assertEqual(
            garbled[customer.id]["figures"]["relationship_first_order_date"],
            expected()[customer.id]["figures"]["relationship_first_order_date"],
        )
        store(expected())
        self.assertEqual(changed(), {})

    def test_order_facts_of_the_job_equal_the_base_addon_aggregate(self):
        """The job reads the confirmed orders one row each and aggregates
        them in numpy (``Facts.from_orders``): the same facts as the base
        addon's SQL aggregate, with a contact's orders rolled up to its
        company, two orders on a day, a customer of two companies, a
        quotation that took days to confirm, a discounted pricelist and a
        quotation left out."""
        other = self.main_company
        customer = self._customer("Facts Tea House", company_id=False)
        buyer = self.Partner.create({"name": "Facts Buyer", "parent_id": customer.id})
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Facts -10 %",
                "company_id": self.company.id,
                "item_ids": [
                    (
                        0,
                        0,
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 10.0,
                        },
                    )
                ],
            }
        )
        list_price = {
            "pricelist_id": self.env["product.pricelist"]
            .create({"name": "Facts list price", "company_id": self.company.id})
            .id
        }
        orders = self._orders(
            [
                (customer, 40, 100.0, list_price),
                (buyer, 40, 30.0, list_price),
                (customer, 10, 70.0, {"pricelist_id": pricelist.id}),
            ]
        )
        self._orders([(customer, 10, 25.0)], company=other)
        self._orders([(customer, 3, 5.0)], confirm=False)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE sale_order SET create_date = date_order - interval "
                "'2 days 3 hours' WHERE id = %s",
                orders[0].id,
            )
        )
        job = self.Run._score_job()
        facts = job.prepare_facts(self.company, self.today)
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, company_id, COALESCE(partner_company_id, 0),
                       day - DATE '2000-01-01', amount, orders,
                       date_part('epoch', last_at), choosing, discounted_amount
                  FROM (%s) f
                 ORDER BY partner_id, day, company_id
                """,
                self.Partner._relationship_order_facts_query(
                    SQL(
                        "(cp.company_id = %s OR cp.company_id IS NULL)",
                        self.company.id,
                    )
                ),
            )
        )
        expected = self.env.cr.fetchall()
        names = [name for name, *_ in order_facts.COLUMNS]
        got = list(zip(*(getattr(facts, name).tolist() for name in names), strict=True))
        self.assertEqual(len(got), len(expected))
        for row, want in zip(got, expected, strict=True):
            for name, value, wanted in zip(names, row, want, strict=True):
                self.assertAlmostEqual(value, wanted, places=9, msg=name)
        first, *last = [row for row in got if row[0] == customer.id]
        # day 40: two orders, one of them by the contact
        self.assertEqual((first[1], first[4], first[5]), (self.company.id, 130.0, 2))
        # one of them took 2 days 3 hours to confirm, the other none
        self.assertAlmostEqual(first[7], (2 + 3 / 24) / 2)
        self.assertEqual(first[8], 0.0)
        # day 10: one order in each company, the discounted one in ours
        self.assertEqual(last[0][3], last[1][3])
        by_company = {row[1]: row for row in last}
        self.assertEqual(set(by_company), {self.company.id, other.id})
        self.assertEqual(by_company[self.company.id][8], 70.0)
        self.assertEqual(by_company[other.id][8], 0.0)
        job.drop_facts()
        # a large base is read by ranges of customers: the same facts
        self.env.cr.execute("ANALYZE sale_order")
        self.env.cr.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'sale_order'::regclass"
        )
        (estimate,) = self.env.cr.fetchone()
        with patch.object(score_job, "ORDER_CHUNK", max(1, int(estimate) // 5)):
            self.assertGreaterEqual(len(job.customer_ranges()), 5)
            ranged = job.prepare_facts(self.company, self.today)
        for name in names:
            np.testing.assert_allclose(
                getattr(ranged, name), getattr(facts, name), rtol=1e-12, err_msg=name
            )
        job.drop_facts()
