"""Per-customer figures from the order facts (engine/facts.py).

Every function is compared with a brute-force reference written the way the
SQL aggregates it replaces read (one customer at a time, plain Python), on
random facts with several companies, shared customers, same-day orders in two
companies and ties of the last order; the binary COPY decoder with a stream
built byte by byte as PostgreSQL writes it.
"""

import statistics
import struct

import numpy as np
import pytest

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def binary_stream(rows, formats):
    """A ``COPY ... TO STDOUT (FORMAT binary)`` stream of ``rows``."""
    out = bytearray(SIGNATURE + struct.pack(">ii", 0, 0))
    for row in rows:
        out += struct.pack(">h", len(row))
        for value, fmt in zip(row, formats, strict=True):
            if value is None:
                out += struct.pack(">i", -1)
                continue
            data = struct.pack(">" + fmt, value)
            out += struct.pack(">i", len(data)) + data
    return bytes(out + b"\xff\xff")


FORMATS = "iiiididdd"


def random_facts(seed, customers=40, companies=(1, 2, 3)):
    """Rows (partner, company, partner_company, day, amount, orders, last_at,
    choosing, discounted), unique per partner, company and day."""
    rng = np.random.default_rng(seed)
    rows = []
    for partner in range(10, 10 + customers):
        own = int(rng.choice([0, *companies]))
        seen = set()
        for _ in range(int(rng.integers(1, 9))):
            company = own if own and rng.random() < 0.8 else int(rng.choice(companies))
            day = int(rng.integers(9000, 9500))
            if (company, day) in seen:
                continue
            seen.add((company, day))
            rows.append(
                (
                    partner,
                    company,
                    own,
                    day,
                    round(float(rng.gamma(2.0, 40.0)), 2),
                    int(rng.integers(1, 4)),
                    # ties of the last order between companies happen
                    float(day * 86400 + int(rng.integers(0, 3)) * 3600),
                    float(rng.random() < 0.3) * round(float(rng.gamma(1.0, 2.0)), 3),
                    round(float(rng.random() < 0.2) * 10.0, 2),
                )
            )
    rng.shuffle(rows)
    return rows


def facts_of(engine, rows):
    sink = engine.facts.BinaryCopy(chunk_bytes=97)
    stream = binary_stream(rows, FORMATS)
    for start in range(0, len(stream), 61):
        sink.write(stream[start : start + 61])
    columns = sink.result()
    order = np.lexsort((columns["company"], columns["day"], columns["partner"]))
    return engine.facts.Facts(
        **{name: columns[name][order] for name, *_ in engine.facts.COLUMNS}
    )


def reference_home(rows):
    """Home company per partner, as the SQL: own company, or the company of
    the last order (largest last_at, then smallest company)."""
    home = {}
    for partner in {r[0] for r in rows}:
        mine = [r for r in rows if r[0] == partner]
        own = max(r[2] for r in mine)
        if own:
            home[partner] = own
        else:
            best = max(mine, key=lambda r: (r[6], -r[1]))
            home[partner] = best[1]
    return home


def test_binary_copy_decodes_a_stream_written_in_pieces(engine):
    rows = random_facts(1)
    facts = facts_of(engine, rows)
    assert len(facts) == len(rows)
    expected = sorted(rows, key=lambda r: (r[0], r[3], r[1]))
    assert facts.partner.tolist() == [r[0] for r in expected]
    assert facts.day.tolist() == [r[3] for r in expected]
    assert facts.amount.tolist() == [r[4] for r in expected]
    assert facts.choosing.tolist() == [r[7] for r in expected]


def test_binary_copy_refuses_nulls_and_truncated_streams(engine):
    row = (1, 1, 0, 9000, 10.0, 1, 0.0, 0, 0.0)
    for rows in (
        [row[:4] + (None,) + row[5:]],
        [row, row[:4] + (None,) + row[5:]] + [row] * 5,
    ):
        sink = engine.facts.BinaryCopy()
        with pytest.raises(ValueError, match="NULL"):
            sink.write(binary_stream(rows, FORMATS))
            sink.result()
    sink = engine.facts.BinaryCopy()
    sink.write(binary_stream([row], FORMATS)[:-2])
    with pytest.raises(ValueError, match="truncated"):
        sink.result()
    with pytest.raises(ValueError, match="binary COPY"):
        engine.facts.BinaryCopy().write(b"not a copy stream" * 10**6)


def test_empty_facts(engine):
    facts = facts_of(engine, [])
    summary = engine.facts.window_summary(facts, 1, 0, 10**5, 0)
    assert len(summary.ids) == 0
    x, *_rest = engine.facts.calibration_summary(facts, 1, 0, 100, 200)
    assert len(x) == 0
    stats = engine.facts.order_statistics(facts, 0)
    assert len(stats.ids) == 0 and len(stats.by_company[0]) == 0
    # purchases after the cutoff only: nothing to predict from
    only_after = facts_of(engine, [(5, 1, 0, 150, 10.0, 1, 0.0, 0, 0.0)])
    x, *_rest = engine.facts.calibration_summary(only_after, 1, 0, 100, 200)
    assert len(x) == 0


@pytest.mark.parametrize("seed", range(6))
def test_window_summary_equals_the_sql_reading(engine, seed):
    rows = random_facts(seed)
    facts = facts_of(engine, rows)
    since, today, year_ago = 9100, 9400, 9300
    for company in (1, 2, 3):
        summary = engine.facts.window_summary(facts, company, since, today, year_ago)
        window = [r for r in rows if since <= r[3] <= today]
        home = reference_home(window)
        expected = {}
        for partner in sorted({r[0] for r in window}):
            own = sorted(
                (r for r in window if r[0] == partner and r[1] == company),
                key=lambda r: r[3],
            )
            if home[partner] != company or not own:
                continue
            expected[partner] = (
                len(own),
                own[0][3],
                own[-1][3],
                sum(r[4] for r in own),
                own[0][4],
                sum(r[5] for r in own if r[3] > year_ago),
                sum(r[7] > 0 for r in own),
                sum(r[8] for r in own),
            )
        assert summary.ids.tolist() == list(expected)
        for i, partner in enumerate(expected):
            got = (
                summary.purchase_days[i],
                summary.first_day[i],
                summary.last_day[i],
                summary.total[i],
                summary.first_amount[i],
                summary.orders_12m[i],
                summary.slow_days[i],
                summary.discounted[i],
            )
            assert got == pytest.approx(expected[partner]), partner


@pytest.mark.parametrize("seed", range(6))
def test_calibration_summary_equals_the_sql_reading(engine, seed):
    rows = random_facts(seed)
    facts = facts_of(engine, rows)
    since, cutoff, today = 9050, 9350, 9450
    for company in (1, 2, 3):
        x, t_x, age, holdout = engine.facts.calibration_summary(
            facts, company, since, cutoff, today
        )
        window = [r for r in rows if since <= r[3] <= today]
        home = reference_home(window)
        expected = []
        for partner in sorted({r[0] for r in window}):
            own = [r[3] for r in window if r[0] == partner and r[1] == company]
            before = sorted(d for d in own if d <= cutoff)
            if home[partner] != company or not before:
                continue
            expected.append(
                (
                    len(before) - 1,
                    before[-1] - before[0],
                    cutoff - before[0],
                    sum(1 for d in own if d > cutoff),
                )
            )
        assert list(zip(x, t_x, age, holdout, strict=True)) == expected


def reference_median_gap(days_orders):
    """percentile_cont(0.5) of the gaps between a customer's orders, orders
    of the same day 0 days apart (every order listed by its day)."""
    days = sorted(d for d, n in days_orders for _ in range(n))
    gaps = [b - a for a, b in zip(days, days[1:], strict=False)]
    return statistics.median(gaps) if gaps else None


@pytest.mark.parametrize("seed", range(6))
def test_order_statistics_equal_the_sql_reading(engine, seed):
    rows = random_facts(seed)
    facts = facts_of(engine, rows)
    since = 9250
    stats = engine.facts.order_statistics(facts, since)
    partners = sorted({r[0] for r in rows})
    assert stats.ids.tolist() == partners
    for i, partner in enumerate(partners):
        mine = [r for r in rows if r[0] == partner]
        assert stats.first_day[i] == min(r[3] for r in mine)
        assert stats.last_day[i] == max(r[3] for r in mine)
        assert stats.order_count[i] == sum(r[5] for r in mine)
        median = reference_median_gap([(r[3], r[5]) for r in mine])
        if median is None:
            assert np.isnan(stats.median_gap[i])
        else:
            assert stats.median_gap[i] == median, partner
    expected = []
    for partner in partners:
        for company in sorted({r[1] for r in rows if r[0] == partner}):
            mine = [r for r in rows if r[0] == partner and r[1] == company]
            expected.append(
                (
                    partner,
                    company,
                    min(r[3] for r in mine),
                    max(r[3] for r in mine),
                    sum(r[5] for r in mine),
                    pytest.approx(sum(r[4] for r in mine if r[3] >= since)),
                )
            )
    assert list(zip(*stats.by_company, strict=True)) == expected


def test_median_gap_of_same_day_orders_in_two_companies(engine):
    # day 100: 2 orders in company 1 and 1 in company 2; day 130: 1 order;
    # gaps 0, 0, 30 -> median 0; then day 200: gaps 0, 0, 30, 70 -> 15
    rows = [
        (5, 1, 0, 100, 10.0, 2, 100.0, 0, 0.0),
        (5, 2, 0, 100, 10.0, 1, 100.0, 0, 0.0),
        (5, 1, 0, 130, 10.0, 1, 130.0, 0, 0.0),
    ]
    stats = engine.facts.order_statistics(facts_of(engine, rows), 0)
    assert stats.median_gap.tolist() == [0.0]
    rows.append((5, 2, 0, 200, 10.0, 1, 200.0, 0, 0.0))
    stats = engine.facts.order_statistics(facts_of(engine, rows), 0)
    assert stats.median_gap.tolist() == [15.0]
    assert stats.order_count.tolist() == [5]


@pytest.mark.parametrize("seed", range(4))
def test_bought_within_equals_the_sql_reading(engine, seed):
    rows = random_facts(seed)
    facts = facts_of(engine, rows)
    rng = np.random.default_rng(seed)
    partners = rng.integers(5, 55, 200)  # some are not customers
    days = rng.integers(8990, 9510, 200)
    for company in (1, 2):
        got = engine.facts.bought_within(facts, company, partners, days, 30)
        expected = [
            any(r[0] == p and r[1] == company and d < r[3] <= d + 30 for r in rows)
            for p, d in zip(partners.tolist(), days.tolist(), strict=True)
        ]
        assert got.tolist() == expected


DAY_US = 86_400_000_000
ORDER_FORMATS = "iiiqdqi"


def random_orders(seed, customers=30, companies=(1, 2, 3), discounted=(7,)):
    """Confirmed orders (partner, company, partner_company, at, amount,
    created, pricelist) as the scoring job reads them: several orders a day,
    orders on both sides of midnight and before 2000 (negative times),
    quotations created after their order date (no time spent choosing), and
    pricelists with and without a discount."""
    rng = np.random.default_rng(seed)
    rows = []
    for partner in range(10, 10 + customers):
        own = int(rng.choice([0, *companies]))
        for _ in range(int(rng.integers(1, 12))):
            company = own if own and rng.random() < 0.7 else int(rng.choice(companies))
            day = int(rng.integers(-3, 40))
            at = day * DAY_US + int(rng.integers(0, DAY_US))
            if rng.random() < 0.2:  # the same day as the previous order
                at = rows[-1][3] if rows and rows[-1][0] == partner else at
            delay = int(
                rng.choice([0, -3_600_000_000, int(rng.integers(0, 9 * DAY_US))])
            )
            rows.append(
                (
                    partner,
                    company,
                    own,
                    at,
                    round(float(rng.gamma(2.0, 40.0)), 2),
                    at - delay,
                    int(rng.choice([0, *discounted, 8])),
                )
            )
    rng.shuffle(rows)
    return rows


def reference_facts(rows, discounted):
    """The facts of ``rows`` as ``_relationship_order_facts_query`` groups
    them (one customer, day and company at a time, plain Python)."""
    groups = {}
    for row in rows:
        groups.setdefault((row[0], row[3] // DAY_US, row[1]), []).append(row)
    facts = []
    for (partner, day, company), orders in sorted(groups.items()):
        facts.append(
            (
                partner,
                company,
                orders[0][2],
                day,
                sum(o[4] for o in orders),
                len(orders),
                max(o[3] for o in orders) / 1e6 + 946_684_800,
                statistics.mean(max((o[3] - o[5]) / 1e6, 0.0) for o in orders)
                / 86400.0,
                sum(o[4] for o in orders if o[6] in discounted),
            )
        )
    return facts


def facts_from_orders(engine, rows, discounted):
    sink = engine.facts.BinaryCopy(engine.facts.ORDER_COLUMNS, chunk_bytes=101)
    stream = binary_stream(rows, ORDER_FORMATS)
    for start in range(0, len(stream), 53):
        sink.write(stream[start : start + 53])
    return engine.facts.Facts.from_orders(sink.result(), discounted)


def assert_facts_equal(facts, expected):
    names = [name for name, *_ in COLUMNS_OF_FACTS]
    assert len(facts) == len(expected)
    for position, name in enumerate(names):
        got = getattr(facts, name).tolist()
        want = [row[position] for row in expected]
        assert got == pytest.approx(want, rel=1e-12, abs=1e-9), name


COLUMNS_OF_FACTS = (
    ("partner",),
    ("company",),
    ("partner_company",),
    ("day",),
    ("amount",),
    ("orders",),
    ("last_at",),
    ("choosing",),
    ("discounted",),
)


@pytest.mark.parametrize("seed", range(6))
def test_facts_from_orders_equal_the_sql_aggregate(engine, seed):
    rows = random_orders(seed)
    facts = facts_from_orders(engine, rows, [7])
    assert [name for name, *_ in engine.facts.COLUMNS] == [
        name for (name,) in COLUMNS_OF_FACTS
    ]
    expected = reference_facts(rows, {7})
    # several orders share a day, and days before 2000 are negative
    assert len(expected) < len(rows) and min(r[3] for r in expected) < 0
    assert_facts_equal(facts, expected)
    # already sorted by customer, day and company, as facts_of sorts
    assert facts.partner.tolist() == sorted(facts.partner.tolist())


def test_facts_from_orders_sort_without_a_fitting_key(engine):
    """Customer and company ids too large for one 63-bit key: the
    lexicographic sort gives the same facts."""
    rows = random_orders(3)
    large = [(r[0] + (1 << 30), r[1] << 28, r[2], *r[3:]) for r in rows]
    facts = facts_from_orders(engine, large, [7])
    expected = reference_facts(large, {7})
    assert max(r[1] for r in expected) >= 1 << 28
    assert_facts_equal(facts, expected)


def test_facts_from_no_orders(engine):
    facts = facts_from_orders(engine, [], [7])
    assert len(facts) == 0
    assert facts.choosing.dtype == np.float64
    summary = engine.facts.window_summary(facts, 1, 0, 10**5, 0)
    assert len(summary.ids) == 0


@pytest.mark.parametrize("seed", range(4))
def test_median_choosing_equals_percentile_cont(engine, seed):
    rows = random_facts(seed)
    facts = facts_of(engine, rows)
    since, today = 9100, 9400
    # in any order, with a customer without orders
    ids = [999, *sorted({r[0] for r in rows}, reverse=True)[::2]]
    for company in (1, 2, 3):
        got = engine.facts.median_choosing(facts, company, since, today, ids)
        for i, partner in enumerate(ids):
            values = [
                r[7]
                for r in rows
                if r[0] == partner and r[1] == company and since <= r[3] <= today
            ]
            if values:
                assert got[i] == pytest.approx(statistics.median(values)), partner
            else:
                assert np.isnan(got[i]), partner
    assert len(engine.facts.median_choosing(facts, 1, since, today, [])) == 0


def test_facts_of_customer_ranges_concatenate(engine):
    """Read by ranges of customers (a large base), the facts are those of
    one read."""
    rows = random_orders(5)
    whole = facts_from_orders(engine, rows, [7])
    parts = [
        facts_from_orders(engine, [r for r in rows if low <= r[0] < high], [7])
        for low, high in ((0, 18), (18, 19), (19, 30), (30, 100))
    ]
    joined = engine.facts.Facts.concatenate(parts)
    assert parts == []
    for name, *_ in engine.facts.COLUMNS:
        # the orders of a day are summed in any order: equal to the last bit
        # or nearly
        assert getattr(joined, name).tolist() == pytest.approx(
            getattr(whole, name).tolist(), rel=1e-12
        ), name
    assert len(engine.facts.Facts.concatenate([])) == 0


@pytest.mark.parametrize("rows", [1, 7, 40])
def test_summaries_by_pieces_of_customers_equal_the_whole(engine, monkeypatch, rows):
    """A large base's facts are summarised by pieces of customers: the same
    figures as at once."""
    facts_rows = random_facts(11, customers=60)
    facts = facts_of(engine, facts_rows)
    module = engine.facts
    whole = (
        module.window_summary(facts, 2, 9100, 9400, 9300),
        module.calibration_summary(facts, 2, 9050, 9350, 9450),
        module.order_statistics(facts, 9200),
    )
    monkeypatch.setattr(module, "CHUNK_ROWS", rows)
    assert len(list(module._customer_chunks(facts))) > 1
    pieces = (
        module.window_summary(facts, 2, 9100, 9400, 9300),
        module.calibration_summary(facts, 2, 9050, 9350, 9450),
        module.order_statistics(facts, 9200),
    )
    for name in module.WindowSummary.__dataclass_fields__:
        assert getattr(pieces[0], name).tolist() == pytest.approx(
            getattr(whole[0], name).tolist()
        ), name
    for got, want in zip(pieces[1], whole[1], strict=True):
        assert got.tolist() == want.tolist()
    for name in ("ids", "first_day", "last_day", "order_count"):
        assert getattr(pieces[2], name).tolist() == getattr(whole[2], name).tolist()
    np.testing.assert_array_equal(pieces[2].median_gap, whole[2].median_gap)
    for got, want in zip(pieces[2].by_company, whole[2].by_company, strict=True):
        assert got.tolist() == pytest.approx(want.tolist())
