r"""Per-customer figures from the order facts, in one pass of numpy.

The order facts are one row per customer (commercial partner), company and
order day of the confirmed orders (``res.partner._relationship_order_facts_
query`` of crm_relationship): the day's amount in company currency, its
number of orders, the time of its last order, the mean days its orders took
to be confirmed (time spent choosing), the amount on a discounted pricelist,
and the customer's own company (0 for a customer shared by the companies).

The scoring job reads the confirmed orders themselves once per pass, one row
per order (``res.partner._relationship_order_rows_query``, the rows that
aggregate is made of), with ``COPY ... TO STDOUT (FORMAT binary)``
(:class:`BinaryCopy` decodes the stream as it arrives into compact arrays),
aggregates them into the facts with one sort (:meth:`Facts.from_orders`,
which reproduces the SQL aggregate: a sort in numpy costs less than the
database's grouping, and the rows need no temporary table), and computes from
the facts every per-customer figure the night needs, without another
aggregate in the database:

* :func:`window_summary`: the engine's inputs over the scoring window of one
  company (purchase days, first and last day, gross value, value of the first
  day, orders of the last 12 months, days not confirmed at once, value bought
  on a discounted pricelist), for the customers whose home company it is;
* :func:`calibration_summary`: the inputs of the holdout check (the same
  summary at a cutoff, and the purchase days after it);
* :func:`order_statistics`: the order statistics of the lifecycle stage rules
  (first and last order date, confirmed orders and the median gap between
  orders over every company, and per company the first and last date, the
  orders and the revenue since a date);
* :func:`bought_within`: whether a customer bought within some days after an
  incident (the tolerance of incidents of the loyalty factors);
* :func:`median_choosing`: the median days a customer's purchase days of one
  company took from quotation to confirmation (time spent choosing).

Days are integers (days since 2000-01-01, PostgreSQL's binary date). Each
function reproduces the SQL aggregate it replaces (tests compare them):

* **home company** of a customer over the rows considered: its own company,
  or else the company of its last order (the largest ``last_at``, then the
  smallest company id);
* **median gap** between a customer's orders: the median (PostgreSQL's
  ``percentile_cont(0.5)``) of the ``orders - 1`` gaps between consecutive
  orders, orders of the same day being 0 days apart: the gaps between its
  consecutive fact rows (0 between two companies' rows of the same day) plus
  ``orders - rows`` zeros; undefined (NaN) for fewer than two orders.

Everything is vectorised (sorts and ``ufunc.reduceat`` over the customers'
segments); memory is a few arrays of one value per fact row.
"""

from dataclasses import dataclass

import numpy as np

#: the columns of the order facts, with their PostgreSQL binary type (``day``
#: is a ``date``, ``last_at`` epoch seconds, ``choosing`` days) and the
#: compact type they are kept in
COLUMNS = (
    ("partner", ">i4", np.int32),
    ("company", ">i4", np.int32),
    ("partner_company", ">i4", np.int32),
    ("day", ">i4", np.int32),
    ("amount", ">f8", np.float64),
    ("orders", ">i4", np.int32),
    ("last_at", ">f8", np.float64),
    ("choosing", ">f8", np.float64),
    ("discounted", ">f8", np.float64),
)

#: the columns of the confirmed orders (one row per order, in the order of
#: the scoring job's COPY): the customer, the order's company, the
#: customer's own company (0 for none), the order's date and creation time
#: (PostgreSQL's binary ``timestamp``: microseconds since 2000-01-01), its
#: amount untaxed in company currency and its pricelist (0 for none)
ORDER_COLUMNS = (
    ("partner", ">i4", np.int32),
    ("company", ">i4", np.int32),
    ("partner_company", ">i4", np.int32),
    ("at", ">i8", np.int64),
    ("amount", ">f8", np.float64),
    ("created", ">i8", np.int64),
    ("pricelist", ">i4", np.int32),
)

#: microseconds in a day, and seconds from 1970-01-01 to 2000-01-01
_DAY_US = 86_400_000_000
_EPOCH_2000 = 946_684_800

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER = len(_SIGNATURE) + 8  # flags and header extension length
_TRAILER = b"\xff\xff"


class BinaryCopy:
    """A file-like sink for ``COPY (...) TO STDOUT (FORMAT binary)`` of
    non-null fixed-width columns (``columns``: ``(name, binary dtype,
    compact dtype)``, :data:`COLUMNS` by default): decodes the rows as the
    data arrives, ``chunk_bytes`` at a time, into arrays of the compact
    types, so that the raw stream is never held whole.

    A NULL or a value of another width raises ``ValueError`` (the query must
    cast and COALESCE its columns)."""

    def __init__(self, columns=COLUMNS, chunk_bytes=1 << 22):
        fields = [("count", ">i2")]
        for name, binary, _compact in columns:
            fields += [(f"{name}__len", ">i4"), (name, binary)]
        self.columns = columns
        self.row = np.dtype(fields)
        self.widths = {name: np.dtype(binary).itemsize for name, binary, _c in columns}
        self.chunk_bytes = chunk_bytes
        self.pending = bytearray()
        self.header = False
        self.finished = False
        self.parts = {name: [] for name, _b, _c in columns}

    def write(self, data):  # pylint: disable=method-required-super
        self.pending += data
        if len(self.pending) >= self.chunk_bytes:
            self._decode()
        return len(data)

    def _decode(self):
        if not self.header:
            if len(self.pending) < _HEADER:
                return
            if bytes(self.pending[: len(_SIGNATURE)]) != _SIGNATURE:
                raise ValueError("not a PostgreSQL binary COPY stream")
            extension = int.from_bytes(self.pending[_HEADER - 4 : _HEADER], "big")
            if len(self.pending) < _HEADER + extension:
                return
            del self.pending[: _HEADER + extension]
            self.header = True
        count = len(self.pending) // self.row.itemsize
        if not count:
            return
        size = count * self.row.itemsize
        rows = np.frombuffer(bytes(self.pending[:size]), dtype=self.row)
        if np.any(rows["count"] != len(self.columns)):
            raise ValueError("unexpected row (a NULL?) in the binary COPY stream")
        for name, _binary, compact in self.columns:
            if np.any(rows[f"{name}__len"] != self.widths[name]):
                raise ValueError(f"NULL or unexpected width in column {name}")
            self.parts[name].append(rows[name].astype(compact))
        del self.pending[:size]

    def result(self):
        """The decoded columns ``{name: array}``, once the whole stream has
        been written (its trailer seen); the decoded chunks are released
        column by column."""
        self._decode()
        if bytes(self.pending) != _TRAILER:
            raise ValueError(
                "truncated binary COPY stream, or a NULL in it (a row shorter "
                "than the columns' widths)"
            )
        columns = {}
        for name, _binary, compact in self.columns:
            parts = self.parts.pop(name)
            columns[name] = (
                np.concatenate(parts) if parts else np.zeros(0, dtype=compact)
            )
            del parts
        return columns


@dataclass(frozen=True)
class Facts:
    """The order facts as arrays sorted by customer, day and company."""

    partner: np.ndarray
    company: np.ndarray
    partner_company: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    orders: np.ndarray
    last_at: np.ndarray
    choosing: np.ndarray
    discounted: np.ndarray

    @classmethod
    def from_orders(cls, orders, discounted_pricelists=()):
        """Aggregate the confirmed orders ``orders`` (the columns of
        :data:`ORDER_COLUMNS`, any order, taken out of ``orders`` one at a
        time) into the facts, as ``_relationship_order_facts_query`` does:
        per customer, order day (the date of ``date_order``) and company, the
        sum of the amounts, the number of orders, the time of the last order
        (epoch seconds), the mean of the days each order took from its
        creation to its date (never below 0), and the amount of the orders
        whose pricelist is one of ``discounted_pricelists``.

        One sort of one integer key per order (customer, day, company) when
        the key fits in 63 bits (it does for any real database: 31 bits of
        customer id, the days between the first and the last order, the bits
        of the largest company id), else a lexicographic sort."""
        partner = orders.pop("partner")
        company = orders.pop("company")
        at = orders.pop("at")
        day = (at // _DAY_US).astype(np.int32)
        order, key, unpack = _sort_order(partner, day, company)
        if key is None:  # ids too large for one key: sorted columns
            partner, day, company = partner[order], day[order], company[order]
            new = partner[1:] != partner[:-1]
            new |= day[1:] != day[:-1]
            new |= company[1:] != company[:-1]
        else:  # the sorted key holds them: the columns are released
            del partner, day, company
            new = key[1:] != key[:-1]
        starts = np.flatnonzero(np.r_[True, new]) if len(order) else order
        del new
        ends = np.r_[starts[1:], len(order)] if len(starts) else starts
        count = (ends - starts).astype(np.int32)
        if key is None:
            partner, day, company = partner[starts], day[starts], company[starts]
        else:
            partner, day, company = unpack(key[starts])
            del key
        columns = {
            "partner": partner.astype(np.int32),
            "company": company.astype(np.int32),
            "day": day.astype(np.int32),
            "orders": count,
        }
        del partner, day, company
        columns["partner_company"] = orders.pop("partner_company")[order][starts]
        at = at[order]
        last = np.maximum.reduceat(at, starts) if len(starts) else at[:0]
        columns["last_at"] = (last + _EPOCH_2000 * 1_000_000) / 1e6
        # microseconds from creation to the order date, summed exactly
        delay = orders.pop("created")[order]
        np.subtract(at, delay, out=delay)
        np.maximum(delay, 0, out=delay)
        del at
        seconds = _sums(delay, starts) / 1e6
        del delay
        columns["choosing"] = seconds / np.maximum(count, 1) / 86400.0
        pricelist = orders.pop("pricelist")[order]
        amount = orders.pop("amount")[order]
        columns["amount"] = _sums(amount, starts)
        on_discount = np.isin(pricelist, np.asarray(discounted_pricelists, np.int64))
        del pricelist
        columns["discounted"] = _sums(np.where(on_discount, amount, 0.0), starts)
        del amount, on_discount, order
        return cls(**{name: columns.pop(name) for name, *_ in COLUMNS})

    @classmethod
    def concatenate(cls, parts):
        """The facts of ``parts`` (a list of facts of increasing, disjoint
        ranges of customers, emptied as it goes), one column at a time: the
        parts' copy of a column is released once it is joined."""
        if len(parts) == 1:
            return parts.pop()
        columns = {}
        for name, _binary, compact in COLUMNS:
            pieces = [getattr(part, name) for part in parts]
            columns[name] = (
                np.concatenate(pieces) if pieces else np.zeros(0, dtype=compact)
            )
            del pieces
            parts[:] = [
                cls(**{**part.__dict__, name: np.zeros(0, dtype=compact)})
                for part in parts
            ]
        parts.clear()
        return cls(**columns)

    def __len__(self):
        return len(self.partner)

    def take(self, mask, *names):
        """The columns ``names`` of the rows where ``mask`` is true (still
        sorted): only those columns are copied."""
        return [getattr(self, name)[mask] for name in names]


def _sort_order(partner, day, company):
    """The order that sorts the orders by customer, day and company:
    ``(order, sorted key, unpack)`` where ``unpack`` gives back the
    customers, days and companies of sorted keys; ``(order, None, None)``
    when the key would not fit in 63 bits (lexicographic sort)."""
    if not len(partner):
        return (
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            _unpacker(0, 0, 0),
        )
    day_low = int(day.min())
    day_bits = max(int(day.max()) - day_low, 1).bit_length()
    company_bits = max(int(company.max()), 1).bit_length()
    fits = (
        int(partner.min()) >= 0
        and int(company.min()) >= 0
        and int(partner.max()).bit_length() + day_bits + company_bits <= 63
    )
    if not fits:
        return np.lexsort((company, day, partner)), None, None
    # built in place: one array of keys at a time besides the columns
    key = partner.astype(np.int64)
    key <<= day_bits + company_bits
    days = day.astype(np.int64)
    days -= day_low
    days <<= company_bits
    key |= days
    del days
    key |= company
    # not a stable sort: the orders of a group are summed in any order
    order = np.argsort(key)
    key = key[order]
    return order, key, _unpacker(day_low, day_bits, company_bits)


def _unpacker(day_low, day_bits, company_bits):
    def unpack(key):
        return (
            key >> (day_bits + company_bits),
            ((key >> company_bits) & ((1 << day_bits) - 1)) + day_low,
            key & ((1 << company_bits) - 1),
        )

    return unpack


#: fact rows the per-customer summaries work on at a time (their copies of
#: a few columns are held for those rows only, not for every customer's)
CHUNK_ROWS = 2_000_000


def _customer_chunks(facts):
    """The facts in pieces of about :data:`CHUNK_ROWS` rows cut between
    customers (views of the columns, no copy)."""
    n = len(facts)
    if n <= CHUNK_ROWS:
        yield facts
        return
    start = 0
    while start < n:
        end = min(start + CHUNK_ROWS, n)
        if end < n:  # to the end of the last customer of the piece
            end = int(np.searchsorted(facts.partner, facts.partner[end - 1], "right"))
        yield Facts(**{name: getattr(facts, name)[start:end] for name, *_ in COLUMNS})
        start = end


def _joined(parts):
    """The per-customer arrays of ``parts`` (tuples of arrays, or of tuples
    of arrays) joined field by field."""
    first = parts[0]
    if len(parts) == 1:
        return first
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    return tuple(_joined([part[i] for part in parts]) for i in range(len(first)))


def _segments(keys):
    """Start of each run of equal values of the sorted ``keys``: (values,
    starts, ends)."""
    if not len(keys):
        empty = np.zeros(0, dtype=np.int64)
        return keys[:0], empty, empty
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return keys[starts], starts, ends


def _sums(values, starts):
    if not len(starts):
        return np.zeros(0, dtype=values.dtype)
    return np.add.reduceat(values, starts)


def _last(values, ends):
    return values[ends - 1] if len(ends) else values[:0]


def _within(mask, rows):
    """The rows of the facts where ``mask`` is true and, among those, ``rows``
    (a mask over the selected rows) is true."""
    full = mask.copy()
    full[mask] = rows
    return full


def home_companies(facts, mask):
    """The customers of the rows of ``facts`` where ``mask`` is true and the
    home company of each over those rows: its own company, or else the only
    company it bought from, or else the company of its last order (largest
    ``last_at``, then smallest company id; only the rows of those customers
    are sorted for it)."""
    partner, company, own_company = facts.take(
        mask, "partner", "company", "partner_company"
    )
    ids, starts, ends = _segments(partner)
    if not len(ids):
        return ids, np.zeros(0, dtype=np.int32)
    own = np.maximum.reduceat(own_company, starts)
    low = np.minimum.reduceat(company, starts)
    high = np.maximum.reduceat(company, starts)
    home = np.where(own > 0, own, low)
    shared = (own <= 0) & (low != high)
    if shared.any():
        rows = _within(mask, np.repeat(shared, ends - starts))
        partner, company, last_at = facts.take(rows, "partner", "company", "last_at")
        _ids, shared_starts, _ends = _segments(partner)
        # within each customer (same segment positions): last order first
        order = np.lexsort((company, -last_at, partner))
        home[shared] = company[order[shared_starts]]
    return ids, home


def _home_is(facts, mask, ids, company):
    """Whether the home company (:func:`home_companies` over ``mask``) of each
    customer of ``ids`` (all among the rows of ``mask``) is ``company``."""
    home_ids, home = home_companies(facts, mask)
    if not len(ids):
        return np.zeros(0, dtype=bool)
    return home[np.searchsorted(home_ids, ids)] == company


def window_summary(facts, company, since, today, year_ago):
    """:func:`_window_summary` by pieces of customers (a customer's figures
    read its own rows only)."""
    parts = [
        _window_summary(chunk, company, since, today, year_ago)
        for chunk in _customer_chunks(facts)
    ]
    return WindowSummary(
        *(
            _joined([getattr(part, name) for part in parts])
            for name in WindowSummary.__dataclass_fields__
        )
    )


def calibration_summary(facts, company, since, cutoff, today):
    """:func:`_calibration_summary` by pieces of customers."""
    return _joined(
        [
            _calibration_summary(chunk, company, since, cutoff, today)
            for chunk in _customer_chunks(facts)
        ]
    )


def order_statistics(facts, since):
    """:func:`_order_statistics` by pieces of customers."""
    parts = [_order_statistics(chunk, since) for chunk in _customer_chunks(facts)]
    return OrderStatistics(
        *(
            _joined([getattr(part, name) for part in parts])
            for name in OrderStatistics.__dataclass_fields__
        )
    )


@dataclass(frozen=True)
class WindowSummary:
    """Per customer (``ids``, increasing) of :func:`window_summary`."""

    ids: np.ndarray
    purchase_days: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    total: np.ndarray
    first_amount: np.ndarray
    orders_12m: np.ndarray
    slow_days: np.ndarray
    discounted: np.ndarray


def _window_summary(facts, company, since, today, year_ago):
    """The scoring window ``[since, today]`` of ``company``'s customers.

    For the customers whose home company (over the window's rows, every
    company) is ``company`` and who bought from it in the window: purchase
    days, first and last purchase day, gross value, value of the first
    purchase day, orders of the days after ``year_ago``, purchase days not
    confirmed at once and value bought on a discounted pricelist, all of
    ``company``'s orders."""
    window = (facts.day >= since) & (facts.day <= today)
    own = window & (facts.company == company)
    partner, day, amount, orders, choosing, discounted = facts.take(
        own, "partner", "day", "amount", "orders", "choosing", "discounted"
    )
    ids, starts, ends = _segments(partner)
    keep = _home_is(facts, window, ids, company)
    recent = np.where(day > year_ago, orders, 0).astype(np.int64)
    summary = WindowSummary(
        ids=ids.astype(np.int64),
        purchase_days=(ends - starts),
        first_day=day[starts],
        last_day=_last(day, ends),
        total=_sums(amount, starts),
        first_amount=amount[starts],
        orders_12m=_sums(recent, starts),
        slow_days=_sums((choosing > 0).astype(np.int64), starts),
        discounted=_sums(discounted, starts),
    )
    return WindowSummary(
        **{name: getattr(summary, name)[keep] for name in summary.__dataclass_fields__}
    )


def _calibration_summary(facts, company, since, cutoff, today):
    """The holdout check's inputs for ``company`` (window ``[since, today]``,
    home company chosen over it as in :func:`window_summary`): per customer
    with a purchase day of ``company`` in ``[since, cutoff]``, its repeat
    purchase days until the cutoff, days from its first to its last purchase
    day until then, days from its first purchase day to the cutoff, and its
    purchase days after the cutoff. Returns ``(x, t_x, age, holdout)``."""
    window = (facts.day >= since) & (facts.day <= today)
    own = window & (facts.company == company)
    partner, day = facts.take(own, "partner", "day")
    before = day <= cutoff
    ids, starts, ends = _segments(partner[before])
    keep = _home_is(facts, window, ids, company)
    after_ids, after_starts, after_ends = _segments(partner[~before])
    holdout = np.zeros(len(ids), dtype=np.int64)
    if len(after_ids) and len(ids):
        position = np.searchsorted(ids, after_ids)
        found = (position < len(ids)) & (
            ids[np.minimum(position, len(ids) - 1)] == after_ids
        )
        holdout[position[found]] = (after_ends - after_starts)[found]
    day = day[before]
    first = day[starts]
    last = _last(day, ends)
    x = (ends - starts - 1).astype(np.float64)
    return (
        x[keep],
        (last - first).astype(np.float64)[keep],
        (cutoff - first).astype(np.float64)[keep],
        holdout.astype(np.float64)[keep],
    )


@dataclass(frozen=True)
class OrderStatistics:
    """Per customer (``ids``) and per customer and company (``by_company``)
    of :func:`order_statistics`."""

    ids: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    order_count: np.ndarray
    median_gap: np.ndarray
    #: (partner, company, first day, last day, orders, revenue since)
    by_company: tuple


def median_gaps(facts, starts, ends, order_count):
    """The median gap in days between the orders of each customer segment
    (see the module), NaN for fewer than two orders."""
    n = len(starts)
    if not n:
        return np.zeros(0)
    # the gaps between consecutive rows of a customer, sorted within each
    # customer by one sort of (customer, gap) keys (gaps are below 2**22)
    same = facts.partner[1:] == facts.partner[:-1]
    keys = np.diff(facts.day).astype(np.int64)[same]
    keys += facts.partner[1:][same].astype(np.int64) << 22
    keys.sort()
    gap_values = (keys & ((1 << 22) - 1)).astype(np.float64)
    del keys
    if not len(gap_values):
        gap_values = np.zeros(1)
    rows = ends - starts
    # each customer has rows - 1 gaps: where its gaps start
    gap_start = starts - np.arange(n)
    zeros = order_count.astype(np.int64) - rows
    count = order_count.astype(np.int64) - 1

    def at(k):
        index = np.clip(gap_start + k - zeros, 0, len(gap_values) - 1)
        return np.where(k < zeros, 0.0, gap_values[index])

    low = np.maximum(count - 1, 0) // 2
    high = count // 2
    return np.where(count > 0, (at(low) + at(high)) / 2.0, np.nan)


def _order_statistics(facts, since):
    """The order statistics of the stage rules: per customer over every
    company, the first and last order day, the confirmed orders and the
    median gap between them (:func:`median_gaps`); per customer and company,
    the first and last order day, the orders and the revenue of the days
    from ``since`` (a customer of one company is its own row; the rows of
    the customers of several companies are sorted by company for it)."""
    ids, starts, ends = _segments(facts.partner)
    count = _sums(facts.orders.astype(np.int64), starts)
    recent = np.where(facts.day >= since, facts.amount, 0.0)
    revenue = _sums(recent, starts)
    first_day, last_day = facts.day[starts], _last(facts.day, ends)
    if len(ids):
        low = np.minimum.reduceat(facts.company, starts)
        high = np.maximum.reduceat(facts.company, starts)
    else:
        low = high = facts.company[:0]
    single = low == high
    parts = [
        (
            ids[single],
            low[single],
            first_day[single],
            last_day[single],
            count[single],
            revenue[single],
        )
    ]
    if not single.all():
        rows = np.repeat(~single, ends - starts)
        partner, company, day, orders = facts.take(
            rows, "partner", "company", "day", "orders"
        )
        amount = recent[rows]
        order = np.lexsort((day, company, partner))
        partner, company = partner[order], company[order]
        day, orders, amount = day[order], orders[order].astype(np.int64), amount[order]
        new = np.r_[True, (partner[1:] != partner[:-1]) | (company[1:] != company[:-1])]
        c_starts = np.flatnonzero(new)
        c_ends = np.r_[c_starts[1:], len(partner)]
        parts.append(
            (
                partner[c_starts],
                company[c_starts],
                day[c_starts],
                day[c_ends - 1],
                _sums(orders, c_starts),
                _sums(amount, c_starts),
            )
        )
    by_company = [np.concatenate(column) for column in zip(*parts, strict=True)]
    order = np.lexsort((by_company[1], by_company[0]))
    return OrderStatistics(
        ids=ids.astype(np.int64),
        first_day=first_day,
        last_day=last_day,
        order_count=count,
        median_gap=median_gaps(facts, starts, ends, count),
        by_company=tuple(column[order] for column in by_company),
    )


def bought_within(facts, company, partners, days, window):
    """For incidents ``(partners[i], days[i])`` (a complaint, a refund):
    whether the customer bought from ``company`` on a day of ``(day, day +
    window]`` (the tolerance of incidents of :mod:`.loyalty`). Two binary
    searches per incident in the facts sorted by customer and day."""
    partners = np.asarray(partners, dtype=np.int64)
    days = np.asarray(days, dtype=np.int64)
    partner, day = facts.take(facts.company == company, "partner", "day")
    shift = np.int64(1 << 22)  # days are well within +-2**21

    def key(partner, day):
        return partner.astype(np.int64) * (2 * shift) + (day.astype(np.int64) + shift)

    keys = key(partner, day)
    low = np.searchsorted(keys, key(partners, days + 1), side="left")
    high = np.searchsorted(keys, key(partners, days + window), side="right")
    return high > low


def median_choosing(facts, company, since, today, ids):
    """For each customer of ``ids``: the median (PostgreSQL's
    ``percentile_cont(0.5)``) of the days spent choosing of its rows of
    ``company`` in ``[since, today]`` (one per purchase day), NaN without
    such a row."""
    ids = np.asarray(ids, dtype=np.int64)
    result = np.full(len(ids), np.nan)
    if not len(ids):
        return result
    mask = (facts.company == company) & (facts.day >= since) & (facts.day <= today)
    mask &= np.isin(facts.partner, ids)
    partner, choosing = facts.take(mask, "partner", "choosing")
    order = np.lexsort((choosing, partner))
    partner, choosing = partner[order], choosing[order]
    keys, starts, ends = _segments(partner)
    if not len(keys):
        return result
    position = (ends - starts - 1) / 2.0
    low = np.floor(position).astype(np.int64)
    high = np.ceil(position).astype(np.int64)
    first, second = choosing[starts + low], choosing[starts + high]
    median = first + (second - first) * (position - low)
    sorter = np.argsort(ids, kind="stable")
    result[sorter[np.searchsorted(ids, keys, sorter=sorter)]] = median
    return result
