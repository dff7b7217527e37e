"""Products bought together: association rules and suggested products."""

import importlib
import itertools
from collections import Counter

import numpy as np
import pytest
from scipy import sparse

#: eight baskets over four products (hand-computed figures below):
#: n(0) = 5, n(1) = 5, n(2) = 3, n(3) = 3; n(0, 1) = 4, n(0, 2) = 2 and
#: every other pair once
BASKETS = ({0, 1}, {0, 1}, {0, 1, 2}, {0, 2}, {1}, {3}, {0, 1, 3}, {2, 3})


@pytest.fixture(scope="module")
def affinity(engine):
    """engine.affinity, imported from the engine loaded by path."""
    return importlib.import_module(f"{engine.__name__}.affinity")


def matrix(affinity, sets, n_products=4):
    rows = [i for i, items in enumerate(sets) for _p in items]
    cols = [p for items in sets for p in sorted(items)]
    return affinity.binary_matrix(rows, cols, shape=(len(sets), n_products))


def rules_of(assoc):
    return {
        (int(a), int(b)): (int(n), s, c, lift)
        for a, b, n, s, c, lift in zip(
            assoc.antecedent,
            assoc.consequent,
            assoc.count,
            assoc.support,
            assoc.confidence,
            assoc.lift,
            strict=True,
        )
    }


def as_dict(result):
    """``{customer: [(product, score, reason), ...]}`` in rank order."""
    out = {}
    for c, p, s, r, rank in zip(
        result.customer,
        result.product,
        result.score,
        result.reason,
        result.rank,
        strict=True,
    ):
        out.setdefault(int(c), []).append((int(p), float(s), int(r)))
        assert rank == len(out[int(c)])
    return out


def test_hand_computed_support_confidence_lift(affinity):
    assoc = affinity.associations(
        matrix(affinity, BASKETS), min_count=2, min_lift=1.0, max_per_product=None
    )
    assert assoc.n_baskets == 8 and assoc.n_products == 4
    rules = rules_of(assoc)
    assert set(rules) == {(0, 1), (1, 0), (0, 2), (2, 0)}
    assert rules[0, 1] == pytest.approx((4, 0.5, 0.8, 1.28))
    assert rules[1, 0] == pytest.approx((4, 0.5, 0.8, 1.28))
    assert rules[0, 2] == pytest.approx((2, 0.25, 0.4, 16 / 15))
    assert rules[2, 0] == pytest.approx((2, 0.25, 2 / 3, 16 / 15))
    # ordered by antecedent, then confidence descending
    assert assoc.antecedent.tolist() == [0, 0, 1, 2]
    assert assoc.consequent.tolist() == [1, 2, 0, 0]


def test_every_pair_without_thresholds(affinity):
    assoc = affinity.associations(
        matrix(affinity, BASKETS), min_count=1, min_lift=0, max_per_product=None
    )
    rules = rules_of(assoc)
    assert len(rules) == 12  # every ordered pair of distinct products occurs
    # n(2, 3) = 1: support 1/8, confidence 1/3, lift (1/3) / (3/8) = 8/9
    assert rules[2, 3] == pytest.approx((1, 0.125, 1 / 3, 8 / 9))
    assert all(a != b for a, b in rules)


def test_min_count_and_min_lift_filter(affinity):
    baskets = matrix(affinity, BASKETS)
    strong = affinity.associations(baskets, min_count=3, min_lift=0)
    assert set(rules_of(strong)) == {(0, 1), (1, 0)}
    lifted = affinity.associations(baskets, min_count=1, min_lift=1.1)
    assert set(rules_of(lifted)) == {(0, 1), (1, 0)}
    # a lift of exactly 1.28 passes min_lift = 1.28 despite rounding
    exact = affinity.associations(baskets, min_count=1, min_lift=1.28)
    assert set(rules_of(exact)) == {(0, 1), (1, 0)}
    assert not len(affinity.associations(baskets, min_count=5))


def test_max_per_product_keeps_the_strongest(affinity):
    assoc = affinity.associations(
        matrix(affinity, BASKETS), min_count=1, min_lift=0, max_per_product=1
    )
    assert rules_of(assoc).keys() == {(0, 1), (1, 0), (2, 0), (3, 0)}
    # ties of product 3 (1/3 each): the higher count, then the smaller index


def test_suggestions_hand_computed(affinity):
    assoc = affinity.associations(matrix(affinity, BASKETS), min_count=2, min_lift=1.0)
    customers = matrix(affinity, [{0}, {2}, {0, 2}, {1, 2}, set(), {3}])
    result = affinity.suggestions(customers, assoc, top=5)
    assert as_dict(result) == {
        0: [(1, 0.8, 0), (2, 0.4, 0)],
        1: [(0, pytest.approx(2 / 3), 2)],
        2: [(1, 0.8, 0)],
        # 0 is suggested by 1 (0.8) and by 2 (2/3): the reason is 1
        3: [(0, 0.8, 1)],
    }
    top1 = affinity.suggestions(customers, assoc, top=1)
    assert as_dict(top1)[0] == [(1, 0.8, 0)]
    assert not len(affinity.suggestions(customers, assoc, top=0))


def test_ties_are_broken_by_count_then_index(affinity):
    # 4 -> 0 and 5 -> 0 both have confidence 1/2; 5 has more evidence
    sets = [{4, 0}, {4}, {5, 0}, {5, 0}, {5}, {5}, {6, 0}, {6}, {1}]
    assoc = affinity.associations(
        matrix(affinity, sets, 7), min_count=1, min_lift=0, max_per_product=None
    )
    customers = matrix(affinity, [{4, 5, 6}, {4, 6}], 7)
    result = as_dict(affinity.suggestions(customers, assoc, top=1))
    assert result[0] == [(0, 0.5, 5)]
    # equal confidence and count: the smaller antecedent
    assert result[1] == [(0, 0.5, 4)]


def brute_force(sets, owned_sets, n_products, min_count, min_lift, cap, top):
    """Independent reference with plain Python loops."""
    n = len(sets)
    single = Counter(p for s in sets for p in s)
    pair = Counter(
        (a, b) for s in sets for a, b in itertools.permutations(sorted(s), 2)
    )
    rules = {}
    for (a, b), count in pair.items():
        conf = count / single[a]
        lift = conf / (single[b] / n)
        if count >= min_count and lift >= min_lift * (1 - 1e-12):
            rules.setdefault(a, []).append((-conf, -count, b, conf))
    kept = []
    for a, items in rules.items():
        for neg_conf, neg_count, b, conf in sorted(items)[:cap]:
            kept.append((neg_conf, neg_count, a, b, conf))
    by_a = {}
    for neg_conf, neg_count, a, b, conf in kept:
        by_a.setdefault(a, []).append((neg_conf, neg_count, a, b, conf))
    out = {}
    for c, owned in enumerate(owned_sets):
        best = {}
        for a in owned:
            for key in by_a.get(a, []):
                b = key[3]
                if b not in owned and (b not in best or key < best[b]):
                    best[b] = key
        ranked = sorted(best.values())[:top]
        if ranked:
            out[c] = [(b, conf, a) for _nc, _n, a, b, conf in ranked]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_a_brute_force_reference(affinity, seed):
    rng = np.random.default_rng(seed)
    n_products = 30
    weights = rng.gamma(0.7, size=n_products)
    weights /= weights.sum()
    sets = []
    for _i in range(600):
        size = rng.integers(1, 6)
        items = set(rng.choice(n_products, size=size, p=weights).tolist())
        if 3 in items and rng.random() < 0.8:
            items.add(7)  # a planted association
        sets.append(items)
    owned_sets = [
        set(rng.choice(n_products, size=rng.integers(0, 6)).tolist())
        for _c in range(250)
    ]
    assoc = affinity.associations(
        matrix(affinity, sets, n_products), min_count=3, min_lift=1.1, max_per_product=4
    )
    result = as_dict(
        affinity.suggestions(
            matrix(affinity, owned_sets, n_products), assoc, top=3, chunk=17
        )
    )
    expected = brute_force(sets, owned_sets, n_products, 3, 1.1, 4, 3)
    assert result.keys() == expected.keys()
    for c, items in expected.items():
        assert [(b, a) for b, _s, a in result[c]] == [(b, a) for b, _s, a in items]
        assert [s for _b, s, _a in result[c]] == pytest.approx(
            [s for _b, s, _a in items]
        )


def test_never_suggests_an_owned_product(affinity):
    rng = np.random.default_rng(5)
    baskets = sparse.random(
        2000, 40, density=0.08, format="csr", random_state=rng, dtype=np.float64
    )
    owned = sparse.random(
        500, 40, density=0.15, format="csr", random_state=rng, dtype=np.float64
    )
    assoc = affinity.associations(baskets, min_count=2, min_lift=0)
    result = affinity.suggestions(owned, assoc, top=10)
    assert len(result) > 0
    dense = owned.toarray() != 0
    assert not dense[result.customer, result.product].any()
    assert dense[result.customer, result.reason].all()
    # ranks are 1..k per customer, scores non-increasing
    for c in np.unique(result.customer):
        rows = result.customer == c
        assert result.rank[rows].tolist() == list(range(1, rows.sum() + 1))
        assert np.all(np.diff(result.score[rows]) <= 0)


def test_chunking_gives_the_same_result(affinity):
    rng = np.random.default_rng(11)
    baskets = sparse.random(3000, 60, density=0.05, format="csr", random_state=rng)
    owned = sparse.random(1001, 60, density=0.1, format="csr", random_state=rng)
    assoc = affinity.associations(baskets, min_count=2, min_lift=1.0)
    whole = affinity.suggestions(owned, assoc, top=4, chunk=10**6)
    assert len(whole) > 0
    for chunk in (1, 7, 250, 1000):
        part = affinity.suggestions(owned, assoc, top=4, chunk=chunk)
        for name in ("customer", "product", "score", "reason", "rank"):
            np.testing.assert_array_equal(getattr(part, name), getattr(whole, name))


def test_empty_inputs(affinity):
    empty = affinity.binary_matrix([], [], shape=(0, 0))
    assoc = affinity.associations(empty)
    assert len(assoc) == 0 and assoc.n_baskets == 0
    none = affinity.suggestions(sparse.csr_matrix((0, 0)), assoc)
    assert len(none) == 0 and none.customer.dtype == np.int64
    baskets = matrix(affinity, BASKETS)
    assoc = affinity.associations(baskets, min_count=2)
    assert len(affinity.suggestions(matrix(affinity, [set(), set()]), assoc)) == 0
    single = affinity.associations(matrix(affinity, [{0}, {1}, {2}]), min_count=1)
    assert len(single) == 0


def test_helpers_and_validation(affinity):
    labels, codes = affinity.encode([40, 10, 40, 30])
    assert labels.tolist() == [10, 30, 40] and codes.tolist() == [2, 0, 2, 1]
    _labels, codes = affinity.encode([30, 20, 50], labels=labels)
    assert codes.tolist() == [1, -1, -1]
    m = affinity.binary_matrix([0, 0, 1, 0], [2, 2, 0, 1])
    assert m.shape == (2, 3) and m.toarray().tolist() == [[0, 1, 1], [1, 0, 0]]
    with pytest.raises(ValueError, match="mismatched"):
        affinity.binary_matrix([0, 1], [0])
    with pytest.raises(ValueError, match=">= 0"):
        affinity.binary_matrix([-1], [0])
    with pytest.raises(ValueError, match="shape"):
        affinity.binary_matrix([3], [0], shape=(2, 2))
    with pytest.raises(ValueError, match="sparse"):
        affinity.associations(np.ones((2, 2)))
    with pytest.raises(ValueError, match="min_count"):
        affinity.associations(m, min_count=0)
    with pytest.raises(ValueError, match="min_lift"):
        affinity.associations(m, min_lift=-1)
    with pytest.raises(ValueError, match="max_per_product"):
        affinity.associations(m, max_per_product=0)
    assoc = affinity.associations(m, min_count=1)
    with pytest.raises(ValueError, match="product columns"):
        affinity.suggestions(sparse.csr_matrix((2, 5)), assoc)
    with pytest.raises(ValueError, match="chunk"):
        affinity.suggestions(m, assoc, chunk=0)
