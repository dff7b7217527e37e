"""Satisfaction formulas: NPS, CSAT, CES, the ACSI index, c = b / a and the
Kano evaluation table.

Constants and pure functions only (no ORM, no ``env``), like
``rating/models/rating_data.py``: the models of this addon call them, and the
doctests of each function run in the addon's tests
(``tests/test_satisfaction_data.py``).

The category labels below are the labels of selection fields (the NPS category
of an answer and of a customer, the category of a Kano result): Odoo translates
them through the field's selection values (``ir.model.fields.selection``),
wherever the list is defined.
"""

from statistics import mean

# ----------------------------------------------------------------------
# Answer scales (lowest, highest)
# ----------------------------------------------------------------------
CSAT_SCALE = (1, 5)
NPS_SCALE = (0, 10)
CES_SCALE = (1, 7)
#: every ACSI item: expectations, perceived quality and value, the
#: satisfaction items, repurchase intention
ACSI_SCALE = (1, 10)
#: the customer's own estimate of our share of their spending on such products (%)
SHARE_OF_WALLET_SCALE = (0, 100)
#: "would you consider buying such products from another supplier?" (0 = never)
COMPETITOR_SCALE = (0, 10)

# ----------------------------------------------------------------------
# Net Promoter Score
# ----------------------------------------------------------------------
NPS_CATEGORIES = [
    ("promoter", "Promoter"),
    ("passive", "Passive"),
    ("detractor", "Detractor"),
]
#: lowest answer of a promoter (9-10) and of a passive (7-8); below, detractor
NPS_PROMOTER_MIN = 9
NPS_PASSIVE_MIN = 7
#: points of an answer: their average is the NPS (% promoters - % detractors)
NPS_POINTS = {"promoter": 100.0, "passive": 0.0, "detractor": -100.0}

# ----------------------------------------------------------------------
# CSAT
# ----------------------------------------------------------------------
#: a CSAT answer of 4 or 5 is a satisfied customer
CSAT_SATISFIED_MIN = 4
#: a CSAT answer of 2 or less is an unhappy customer (follow-up)
CSAT_UNHAPPY_MAX = 2

# ----------------------------------------------------------------------
# Kano
# ----------------------------------------------------------------------
KANO_CATEGORIES = [
    ("A", "Attractive"),
    ("O", "One-dimensional"),
    ("M", "Must-be"),
    ("I", "Indifferent"),
    ("R", "Reverse"),
    ("Q", "Questionable"),
]
#: Standard 5x5 Kano evaluation table. Rows: functional answer, columns:
#: dysfunctional answer, both in the order like, must-be, neutral, live-with,
#: dislike (positions 1 to 5).
KANO_TABLE = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)


def nps_category(score):
    """NPS category of an answer on 0-10: 9-10 promoter, 7-8 passive, 0-6
    detractor.

    >>> nps_category(10), nps_category(9)
    ('promoter', 'promoter')
    >>> nps_category(8), nps_category(7)
    ('passive', 'passive')
    >>> nps_category(6.5), nps_category(0)
    ('detractor', 'detractor')
    >>> nps_category(11)
    Traceback (most recent call last):
    ...
    ValueError: NPS answer out of 0-10: 11
    """
    low, high = NPS_SCALE
    if not low <= score <= high:
        raise ValueError(f"NPS answer out of {low}-{high}: {score}")
    if score >= NPS_PROMOTER_MIN:
        return "promoter"
    if score >= NPS_PASSIVE_MIN:
        return "passive"
    return "detractor"


def nps_points(score):
    """NPS points of an answer on 0-10: +100 for a promoter, 0 for a passive,
    -100 for a detractor. Their average is the Net Promoter Score.

    >>> nps_points(9), nps_points(8), nps_points(6)
    (100.0, 0.0, -100.0)
    >>> round(mean(nps_points(s) for s in (10, 9, 5)), 2)  # 2 promoters, 1 detractor
    33.33
    """
    return NPS_POINTS[nps_category(score)]


def net_promoter_score(promoters, passives, detractors):
    """Net Promoter Score (-100 to 100) of counts of answers: % promoters
    minus % detractors; None without answers.

    >>> net_promoter_score(5, 3, 2)
    30.0
    >>> round(net_promoter_score(2, 0, 1), 2)
    33.33
    >>> net_promoter_score(0, 4, 0), net_promoter_score(0, 0, 3)
    (0.0, -100.0)
    >>> net_promoter_score(0, 0, 0) is None
    True
    """
    total = promoters + passives + detractors
    if not total:
        return None
    return (promoters - detractors) * 100 / total


def csat_score(values):
    """CSAT of one response: the mean of its CSAT answers (1-5).

    >>> csat_score([4, 5])
    4.5
    >>> csat_score([3])
    3.0
    """
    return float(mean(values))


def csat_satisfied(score):
    """Satisfied points of a CSAT: 100 when it is 4 or more (satisfied), else
    0. Their average is the share of satisfied customers (see csat_share).

    >>> csat_satisfied(4), csat_satisfied(5), csat_satisfied(3.5)
    (100.0, 100.0, 0.0)
    """
    return 100.0 if score >= CSAT_SATISFIED_MIN else 0.0


def csat_share(scores):
    """CSAT as a share: the percentage of satisfied answers (4 or 5) among
    ``scores`` (1-5); None without answers.

    >>> csat_share([5, 4, 3, 1])
    50.0
    >>> round(csat_share([5, 2, 1]), 2)
    33.33
    >>> csat_share([]) is None
    True
    """
    scores = list(scores)
    if not scores:
        return None
    satisfied = len([s for s in scores if s >= CSAT_SATISFIED_MIN])
    return satisfied * 100 / len(scores)


def ces_score(values):
    """Customer Effort Score of one response: the mean of its effort answers
    (1-7).

    >>> ces_score([6, 7])
    6.5
    >>> ces_score([2])
    2.0
    """
    return float(mean(values))


def is_unhappy(category, csat):
    """Whether a response asks for a follow-up: a detractor NPS category or a
    CSAT of 2 or less (a CSAT of 0 or None is not answered).

    >>> is_unhappy("detractor", 0)
    True
    >>> is_unhappy(False, 2), is_unhappy("passive", 1.5)
    (True, True)
    >>> is_unhappy("promoter", 3), is_unhappy(False, 0), is_unhappy(None, None)
    (False, False, False)
    """
    return category == "detractor" or bool(csat and csat <= CSAT_UNHAPPY_MAX)


def acsi_index(values, weights=None):
    """ACSI index (0-100) of the satisfaction items answered on 1-10 (overall
    satisfaction, confirmation of expectations, distance from the ideal): their
    mean, weighted by ``weights`` if given (one per item; default: equal
    weights), rescaled from 1-10 to 0-100 and rounded to 2 decimals.

    >>> acsi_index([10, 7, 4])  # mean 7 -> (7 - 1) / 9 * 100
    66.67
    >>> acsi_index([1, 1, 1]), acsi_index([10, 10, 10])
    (0.0, 100.0)
    >>> acsi_index([9, 6], weights=[3, 1])  # (27 + 6) / 4 = 8.25
    80.56
    >>> acsi_index([9, 6], weights=[1])
    Traceback (most recent call last):
    ...
    ValueError: one weight per ACSI item: 2 items, 1 weights
    """
    low, high = ACSI_SCALE
    if weights is None:
        value = mean(values)
    else:
        values, weights = list(values), list(weights)
        if len(values) != len(weights):
            raise ValueError(
                f"one weight per ACSI item: {len(values)} items, {len(weights)} weights"
            )
        value = sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)
    return round((value - low) / (high - low) * 100.0, 2)


def satisfaction_ratio(perceived, expected):
    """Satisfaction c = b / a: perceived quality b over expectation a (both
    means on 1-10), rounded to 3 decimals. Above 1 the customer got more than
    expected.

    >>> satisfaction_ratio(6, 8)
    0.75
    >>> satisfaction_ratio(9, 6)
    1.5
    >>> satisfaction_ratio(7, 0)
    Traceback (most recent call last):
    ...
    ValueError: expectation must be positive: 0
    """
    if expected <= 0:
        raise ValueError(f"expectation must be positive: {expected}")
    return round(perceived / expected, 3)


def kano_category(functional, dysfunctional):
    """Kano category (code of KANO_CATEGORIES) of a pair of answers, given as
    positions 1 to 5 (like, must-be, neutral, live-with, dislike) in the
    Kano evaluation table; False when a position is out of 1-5.

    >>> kano_category(1, 5)  # like it present, dislike it absent
    'O'
    >>> kano_category(1, 3), kano_category(2, 5), kano_category(3, 3)
    ('A', 'M', 'I')
    >>> kano_category(5, 1), kano_category(1, 1)
    ('R', 'Q')
    >>> kano_category(0, 3), kano_category(2, 6)
    (False, False)
    """
    if not (1 <= functional <= 5 and 1 <= dysfunctional <= 5):
        return False
    return KANO_TABLE[functional - 1][dysfunctional - 1]
