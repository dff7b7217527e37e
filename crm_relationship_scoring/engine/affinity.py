r"""What customers buy together: product associations and suggested products.

Inputs are sparse binary matrices (:mod:`scipy.sparse`, CSR) over one
product index ``0 .. n_products - 1``: the *baskets* (one row per basket, a
confirmed order in the addon; a one where the basket holds the product) and
the *customers* (one row per customer, a one where the customer bought the
product).  :func:`binary_matrix` builds both from ``(row, product)`` index
pairs and :func:`encode` turns database ids into such indices.  No Odoo, no
I/O: numpy in, numpy out.

Associations (:func:`associations`)
-----------------------------------
Over ``n`` baskets, with ``n(A)`` the baskets holding product A and
``n(A, B)`` those holding both A and B, the rule "A → B" (antecedent A,
consequent B, A ≠ B) has::

    count      = n(A, B)
    support    = n(A, B) / n                   share of the baskets
    confidence = n(A, B) / n(A)                P(B in basket | A in basket)
    lift       = confidence / (n(B) / n)       = n(A, B) n / (n(A) n(B))

Lift 1 is independence (A says nothing about B), above 1 A makes B more
likely.  Both directions are kept (A → B and B → A share count, support and
lift, not confidence).  Noise is not shown: a rule is kept when ``count >=
min_count`` and ``lift >= min_lift`` (up to a relative rounding tolerance of
1e-12), then, with ``max_per_product``, only the strongest consequents of
each antecedent.  All counts come from one sparse product ``X.T @ X`` of the
basket matrix (its diagonal holds ``n(A)``): the cost grows with the pairs
that actually occur together, never with ``n_products ** 2``.

Rules are ordered by antecedent and, within an antecedent, by *strength*:
confidence descending, then count descending (more evidence), then
consequent ascending; ``max_per_product`` keeps the first ones.

Suggestions (:func:`suggestions`)
---------------------------------
For a customer who owns products ``A_1 .. A_m`` the candidates are the
consequents of the rules of those products, never a product the customer
owns.  A candidate B scores::

    score(B)  = max over owned A of confidence(A → B)
    reason(B) = that A

"Customers who bought A also bought B in 100 * score % of the cases".  Ties
are broken deterministically by the strength order above, over all rules:
higher confidence, then higher count, then smaller antecedent index, then
smaller consequent index.  The ``top`` strongest candidates of each customer
are kept, ranked 1, 2, ... in that same order.

How it works: for each stored entry (customer c, owned product A) the rule
rows of A are expanded without a Python loop (the rules are sorted by
antecedent, so the rows of A are a slice given by an ``indptr``, expanded by
``np.repeat`` and a running index).  Each candidate is packed into one int64
key ``(c * n_products + B) * n_rules + strength rank``; one sort of those
keys puts the strongest rule of every (customer, candidate) pair first,
owned products are dropped with one sorted search of the pairs among the
customer's ``c * n_products + A`` keys, and a second sort of ``c * n_rules
+ strength rank`` ranks each customer's candidates.  Customers are processed
``chunk`` rows at a time, so the memory of the expansion is bounded by
``chunk x (products per customer) x (rules per product)`` whatever the number
of customers; the result is the same for any chunk size.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = [
    "DEFAULT_CHUNK",
    "DEFAULT_MAX_PER_PRODUCT",
    "DEFAULT_MIN_COUNT",
    "DEFAULT_MIN_LIFT",
    "DEFAULT_TOP",
    "Associations",
    "Suggestions",
    "associations",
    "binary_matrix",
    "encode",
    "suggestions",
]

#: a pair must occur in at least this many baskets
DEFAULT_MIN_COUNT = 5
#: and A must make B at least this many times more likely than on average
DEFAULT_MIN_LIFT = 1.0
#: consequents kept per antecedent (``None``: all)
DEFAULT_MAX_PER_PRODUCT = 20
#: suggestions per customer
DEFAULT_TOP = 5
#: customers per chunk of :func:`suggestions` (smaller chunks stay in the CPU
#: caches: 2,000 was twice as fast as 20,000 on 100,000 customers)
DEFAULT_CHUNK = 2_000
#: relative tolerance of the ``lift >= min_lift`` comparison (rounding of
#: the quotient, so that a lift of exactly 6/5 passes ``min_lift = 1.2``)
LIFT_TOLERANCE = 1e-12
#: bound of the packed candidate keys of :func:`suggestions`
MAX_KEY = 2**62


@dataclass(frozen=True)
class Associations:
    """Kept rules "antecedent → consequent" (:func:`associations`).

    Arrays aligned on the rules, ordered by antecedent, then strength
    (confidence and count descending, consequent ascending).

    :ivar antecedent: product index A (int64).
    :ivar consequent: product index B (int64).
    :ivar count: baskets holding both (int64).
    :ivar support: ``count / n_baskets``.
    :ivar confidence: ``count / n(A)``.
    :ivar lift: ``confidence / (n(B) / n_baskets)``.
    :ivar n_baskets: baskets counted (rows of the basket matrix).
    :ivar n_products: size of the product index (its columns).
    """

    antecedent: np.ndarray
    consequent: np.ndarray
    count: np.ndarray
    support: np.ndarray
    confidence: np.ndarray
    lift: np.ndarray
    n_baskets: int
    n_products: int

    def __len__(self):
        return int(self.antecedent.shape[0])

    def indptr(self):
        """Rules of product A are ``slice(indptr[A], indptr[A + 1])``."""
        return np.searchsorted(
            self.antecedent, np.arange(self.n_products + 1, dtype=np.int64)
        ).astype(np.int64)

    def strength_rank(self):
        """Rank of each rule in the strength order over all rules (0 =
        strongest): confidence desc, count desc, antecedent asc, consequent
        asc. Unique per rule."""
        order = np.lexsort(
            (self.consequent, self.antecedent, -self.count, -self.confidence)
        )
        rank = np.empty(len(self), dtype=np.int64)
        rank[order] = np.arange(len(self), dtype=np.int64)
        return rank


@dataclass(frozen=True)
class Suggestions:
    """Suggested products (:func:`suggestions`), ordered by customer and
    rank.

    :ivar customer: customer row index (int64).
    :ivar product: suggested product index B (int64).
    :ivar score: confidence of the reason's rule ``reason → product``.
    :ivar reason: product index A the customer owns (int64).
    :ivar rank: 1 for the customer's strongest suggestion, then 2, ...
    """

    customer: np.ndarray
    product: np.ndarray
    score: np.ndarray
    reason: np.ndarray
    rank: np.ndarray

    def __len__(self):
        return int(self.customer.shape[0])


def encode(ids, labels=None):
    """Indices of database ids: ``(labels, codes)`` with ``labels[codes] ==
    ids``.

    Without ``labels`` they are the sorted distinct ``ids``; with sorted
    ``labels`` the codes are positions in them, ``-1`` for an id not found.
    """
    ids = _int_array("ids", ids)
    if labels is None:
        labels, codes = np.unique(ids, return_inverse=True)
        return labels, codes.astype(np.int64).ravel()
    labels = _int_array("labels", labels)
    if labels.size > 1 and np.any(np.diff(labels) <= 0):
        raise ValueError("labels must be sorted and distinct")
    pos = np.searchsorted(labels, ids)
    found = pos < labels.size
    found[found] = labels[pos[found]] == ids[found]
    return labels, np.where(found, pos, -1).astype(np.int64)


def binary_matrix(rows, products, shape=None):
    """CSR matrix (int32) with a one at every ``(rows[i], products[i])``.

    Duplicated pairs count once; the matrix is canonical (sorted indices,
    no duplicates).

    :param rows: row indices (baskets or customers), whole numbers >= 0.
    :param products: product indices, same length, whole numbers >= 0.
    :param shape: ``(n_rows, n_products)``; by default one past the largest
        index of each.
    :raises ValueError: on negative indices, mismatched lengths or a shape
        too small for the indices.
    """
    rows = _int_array("rows", rows)
    products = _int_array("products", products)
    if rows.shape != products.shape:
        raise ValueError(
            f"rows and products have mismatched lengths: {rows.size} != {products.size}"
        )
    if rows.size and min(rows.min(), products.min()) < 0:
        raise ValueError("row and product indices must be >= 0")
    if shape is None:
        shape = (
            int(rows.max()) + 1 if rows.size else 0,
            int(products.max()) + 1 if products.size else 0,
        )
    n_rows, n_products = (int(n) for n in shape)
    if rows.size and (rows.max() >= n_rows or products.max() >= n_products):
        raise ValueError(f"indices out of the shape {(n_rows, n_products)}")
    matrix = sparse.csr_matrix(
        (np.ones(rows.size, dtype=np.int32), (rows, products)),
        shape=(n_rows, n_products),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


def associations(
    baskets,
    *,
    min_count=DEFAULT_MIN_COUNT,
    min_lift=DEFAULT_MIN_LIFT,
    max_per_product=DEFAULT_MAX_PER_PRODUCT,
):
    """Rules "A → B" of the baskets (see the module docstring).

    :param baskets: sparse matrix baskets x products; any stored non-zero
        value means "in the basket".
    :param min_count: keep rules of pairs in at least this many baskets
        (whole number >= 1).
    :param min_lift: and of at least this lift (>= 0).
    :param max_per_product: keep at most this many consequents per
        antecedent, the strongest (whole number >= 1, or ``None`` for all).
    :return: :class:`Associations` (empty when no pair qualifies or there is
        no basket).
    :raises ValueError: on a non-sparse matrix or invalid thresholds.
    """
    x = _binary_csr("baskets", baskets)
    min_count = _whole("min_count", min_count, 1)
    min_lift = _non_negative("min_lift", min_lift)
    if max_per_product is not None:
        max_per_product = _whole("max_per_product", max_per_product, 1)
    n_baskets, n_products = x.shape
    together = (x.T.tocsr() @ x).tocoo()
    item_count = np.asarray(together.diagonal(), dtype=np.int64)
    a = together.row.astype(np.int64)
    b = together.col.astype(np.int64)
    count = together.data.astype(np.int64)
    del together
    # lift >= min_lift  <=>  count * n >= min_lift * n(A) * n(B), in floats
    # (exact integers up to 2**53) with a relative tolerance
    keep = (a != b) & (count >= min_count)
    a, b, count = a[keep], b[keep], count[keep]
    n_a, n_b = item_count[a].astype(np.float64), item_count[b].astype(np.float64)
    lift = count * float(n_baskets) / (n_a * n_b)
    keep = lift >= min_lift * (1.0 - LIFT_TOLERANCE)
    a, b, count, n_a, lift = a[keep], b[keep], count[keep], n_a[keep], lift[keep]
    confidence = count / n_a
    order = np.lexsort((b, -count, -confidence, a))
    a, b, count, confidence, lift = (
        arr[order] for arr in (a, b, count, confidence, lift)
    )
    if max_per_product is not None and a.size:
        keep = _rank_in_groups(a) < max_per_product
        a, b, count, confidence, lift = (
            arr[keep] for arr in (a, b, count, confidence, lift)
        )
    return Associations(
        antecedent=a,
        consequent=b,
        count=count,
        support=count / float(n_baskets) if n_baskets else count.astype(np.float64),
        confidence=confidence,
        lift=lift,
        n_baskets=int(n_baskets),
        n_products=int(n_products),
    )


def suggestions(customers, assoc, *, top=DEFAULT_TOP, chunk=DEFAULT_CHUNK):
    """The ``top`` suggested products of every customer (module docstring).

    :param customers: sparse matrix customers x products (the product index
        of ``assoc``); a stored non-zero value means "bought".
    :param assoc: :class:`Associations` of :func:`associations`.
    :param top: suggestions per customer (whole number >= 0; 0 gives none).
    :param chunk: customers per chunk (whole number >= 1): bounds the memory,
        not the result.
    :return: :class:`Suggestions`, by customer and rank; customers without a
        candidate have no row.
    :raises ValueError: on a non-sparse matrix, a product index of another
        size than ``assoc``'s or invalid ``top`` / ``chunk``.
    """
    owned = _binary_csr("customers", customers)
    top = _whole("top", top, 0)
    chunk = _whole("chunk", chunk, 1)
    if owned.shape[1] != assoc.n_products:
        raise ValueError(
            f"customers have {owned.shape[1]} product columns, the associations "
            f"{assoc.n_products} products"
        )
    if top == 0 or not len(assoc) or not owned.nnz:
        return _no_suggestions()
    strength = assoc.strength_rank()
    rules = (assoc.indptr(), strength, np.argsort(strength))
    # the packed keys of _suggest_chunk must fit in an int64
    chunk = max(1, min(chunk, MAX_KEY // (assoc.n_products * len(assoc))))
    parts = [
        _suggest_chunk(owned[start : start + chunk], start, assoc, rules, top)
        for start in range(0, owned.shape[0], chunk)
    ]
    return Suggestions(*(np.concatenate([part[i] for part in parts]) for i in range(5)))


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _suggest_chunk(owned, offset, assoc, rules, top):
    """Suggestions of the customers ``offset + 0 .. owned.shape[0] - 1``, as
    the five arrays of :class:`Suggestions`. ``rules`` is ``(indptr,
    strength rank, rules by strength)`` of ``assoc``, computed once per call.

    Candidates are packed into one int64 key ``(customer * n_products +
    product) * n_rules + strength rank`` (the caller bounds the chunk so
    that it fits), so that two plain sorts of integers do the work.
    """
    n_products, n_rules = assoc.n_products, len(assoc)
    indptr, strength, by_strength = rules
    customer = np.repeat(
        np.arange(owned.shape[0], dtype=np.int64), np.diff(owned.indptr)
    )
    product = owned.indices.astype(np.int64)
    # expand the rule rows of every owned product: rule k of entry i is
    # indptr[product[i]] + (position of k within the entry's run)
    start = indptr[product]
    length = indptr[product + 1] - start
    total = int(length.sum())
    if not total:
        return _empty_arrays()
    run_start = np.cumsum(length) - length
    rule = np.repeat(start - run_start, length) + np.arange(total, dtype=np.int64)
    del start, run_start
    key = np.repeat(customer * n_products, length)
    del length
    key += assoc.consequent[rule]
    key *= n_rules
    key += strength[rule]
    del rule
    # best rule of each (customer, candidate): the first, strongest, of its run
    key.sort()
    pair = key // n_rules
    first = np.empty(key.size, dtype=bool)
    first[0] = True
    np.not_equal(pair[1:], pair[:-1], out=first[1:])
    key, pair = key[first], pair[first]
    # never a product the customer owns
    owned_keys = np.sort(customer * n_products + product)
    pos = np.minimum(np.searchsorted(owned_keys, pair), owned_keys.size - 1)
    fresh = owned_keys[pos] != pair
    rank = key[fresh] % n_rules
    cand_customer = pair[fresh] // n_products
    del key, pair, first, pos, fresh
    if not rank.size:
        return _empty_arrays()
    # the top candidates of each customer, strongest first
    order = cand_customer * n_rules + rank
    order.sort()
    cand_customer, rank = order // n_rules, order % n_rules
    position = _rank_in_groups(cand_customer)
    keep = position < top
    rule = by_strength[rank[keep]]
    return (
        cand_customer[keep] + offset,
        assoc.consequent[rule],
        assoc.confidence[rule],
        assoc.antecedent[rule],
        position[keep] + 1,
    )


def _rank_in_groups(groups):
    """0, 1, 2, ... within each run of equal values of the sorted
    ``groups``."""
    n = groups.size
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n, dtype=np.int64) - run_start


def _empty_arrays():
    ints = np.zeros(0, dtype=np.int64)
    return ints, ints, np.zeros(0, dtype=np.float64), ints, ints


def _no_suggestions():
    return Suggestions(*_empty_arrays())


def _binary_csr(name, matrix):
    """A canonical CSR copy of ``matrix`` holding only its non-zero
    entries."""
    if not sparse.issparse(matrix):
        raise ValueError(f"{name} must be a scipy.sparse matrix, got {type(matrix)}")
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional")
    csr = sparse.csr_matrix(matrix, copy=True)
    csr.sum_duplicates()
    csr.eliminate_zeros()
    return sparse.csr_matrix(
        (np.ones(csr.nnz, dtype=np.int32), csr.indices, csr.indptr),
        shape=csr.shape,
    )


def _int_array(name, values):
    arr = np.atleast_1d(np.asarray(values))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        try:
            as_int = arr.astype(np.int64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold whole numbers: {exc}") from None
        if not np.array_equal(as_int, arr):
            raise ValueError(f"{name} must hold whole numbers")
        return as_int
    return arr.astype(np.int64, copy=False)


def _whole(name, value, minimum):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if number != value or number < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return number


def _non_negative(name, value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number
