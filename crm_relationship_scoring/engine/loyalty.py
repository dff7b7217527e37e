r"""Customer loyalty index (客户忠诚度) and the loyalty ladder.

Loyalty factors (客户忠诚度的评价因素)
--------------------------------------
Six factors of the classic CRM curriculum, each scored in [0, 1] (1 is the
most loyal) by the function of the same name; NaN means "not known":

* **repeat** (重复购买次数), :func:`repeat_factor`: the purchase days and the
  tenure (days since the first purchase) of the scoring window; 0 for at most
  one purchase day, otherwise half a frequency and half a tenure term::

      0.5 * min(1, (days - 1) / (full_purchases - 1))
        + 0.5 * min(1, tenure / full_tenure_days)

* **share_of_wallet** (需求满足率 / 钱包份额), :func:`share_of_wallet_factor`:
  the customer's own estimate, in percent, of its needs bought from us (the
  latest survey answer): ``clip(percent / 100, 0, 1)``;
* **choosing** (挑选时间), :func:`choosing_factor`: the median days from the
  creation of a quotation to its confirmation; a loyal customer decides
  fast: ``half_days / (half_days + max(median, 0))``;
* **price** (对价格的敏感程度), :func:`price_factor`: the share of the
  customer's revenue bought with a discount, a promotion/reward line or a
  discounted pricelist; who only buys on discount is price sensitive:
  ``1 - clip(share, 0, 1)``;
* **competitors** (对竞争产品的态度), :func:`competitors_factor`: the survey
  answer to "would you consider another supplier", 0..scale_max (10):
  ``1 - clip(answer / scale_max, 0, 1)``;
* **tolerance** (对产品质量事故的承受能力), :func:`tolerance_factor`: the share
  of the complaints/refunds after which the customer bought again within N
  days (``recovered / incidents``); NaN without any incident.

Satisfaction is *not* a factor: a satisfied customer is not necessarily a
loyal one (满意的客户不一定是忠诚的客户).  Satisfaction is an attitude;
loyalty shows in behaviour (buying again, exclusively, without haggling or
shopping around), so satisfaction scores belong to the health score, not
here.

Loyalty index (:func:`loyalty_index`)
-------------------------------------
The weighted mean, times 100, of the factors *available* for the customer::

    index = 100 * sum(w_k * f_k) / sum(w_k)      over k with w_k > 0, f_k known

A missing factor (NaN: no survey answer, no quotation, no incident) is left
out of the numerator *and* the denominator.  Counting it as 0 would punish
customers for what we do not know (who never had an incident has shown no
intolerance); the weights of the known factors are renormalised instead.
The index is NaN when no factor is known; raising any known factor never
lowers it.  The terms are accumulated in :data:`FACTORS` order.

Loyalty ladder (:func:`loyalty_classes`)
----------------------------------------
潜在客户 prospect (no purchase day) → 新客户 new (fewer than
``regular_purchases`` days) → 常客户 regular → 老客户 long_standing (also
``long_standing_purchases`` days and ``long_standing_days`` of tenure) →
忠诚客户 loyal (also an index >= ``loyal_index``; a NaN index never is) →
品牌鼓吹者 advocate (also a promoter in the latest NPS answer or a referrer).
Each rung requires the previous one.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from . import _checks

#: loyalty factors, in the order of the weights and of the bits of the mask
FACTORS = ("repeat", "share_of_wallet", "choosing", "price", "competitors", "tolerance")
#: rungs of the loyalty ladder, lowest first
CLASSES = ("prospect", "new", "regular", "long_standing", "loyal", "advocate")


def _whole(name, value, minimum):
    integer = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not integer or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class LoyaltyWeights:
    """Relative weights of the factors (any scale, >= 0, one at least > 0)."""

    repeat: float = 3.0
    share_of_wallet: float = 2.0
    choosing: float = 1.0
    price: float = 1.0
    competitors: float = 2.0
    tolerance: float = 1.0

    def __post_init__(self):
        for name in FACTORS:
            value = _checks.positive_scalar(
                f"loyalty weight {name}", getattr(self, name), allow_zero=True
            )
            object.__setattr__(self, name, value)
        if not any(getattr(self, name) > 0 for name in FACTORS):
            raise ValueError("at least one loyalty weight must be > 0")

    def as_array(self):
        """The weights as a float64 array, in :data:`FACTORS` order."""
        return np.array([getattr(self, name) for name in FACTORS], dtype=np.float64)


@dataclass(frozen=True)
class LoyaltyThresholds:
    """Thresholds of the loyalty ladder (see the module docstring)."""

    regular_purchases: int = 2
    long_standing_days: float = 365.0
    long_standing_purchases: int = 4
    loyal_index: float = 70.0

    def __post_init__(self):
        for name in ("regular_purchases", "long_standing_purchases"):
            object.__setattr__(self, name, _whole(name, getattr(self, name), 1))
        for name in ("long_standing_days", "loyal_index"):
            value = _checks.positive_scalar(name, getattr(self, name), allow_zero=True)
            object.__setattr__(self, name, value)
        if self.loyal_index > 100:
            raise ValueError(f"loyal_index must be <= 100, got {self.loyal_index!r}")


@dataclass(frozen=True)
class LoyaltyIndex:
    """Result of :func:`loyalty_index` (arrays aligned on the input).

    :ivar index: loyalty index in [0, 100], NaN when no factor is known.
    :ivar used: int64 bitmask, bit ``k`` set when ``FACTORS[k]`` was known
        and weighted (> 0) for the customer.
    """

    index: np.ndarray
    used: np.ndarray

    def factors_used(self, i):
        """Names of the factors counted for customer ``i``, in FACTORS order."""
        mask = int(self.used[i])
        return tuple(name for k, name in enumerate(FACTORS) if mask >> k & 1)


#: default weights and thresholds
DEFAULT_WEIGHTS = LoyaltyWeights()
DEFAULT_THRESHOLDS = LoyaltyThresholds()


def repeat_factor(
    purchase_days, tenure_days, *, full_purchases=12, full_tenure_days=730.0
):
    """Repeat factor in [0, 1], never NaN (see the module docstring).

    ``purchase_days`` are whole numbers >= 0, ``tenure_days`` >= 0;
    ``full_purchases`` (an integer >= 2) purchase days and
    ``full_tenure_days`` (> 0) of tenure each give a full half.
    """
    days = _checks.counts("purchase_days", purchase_days)
    tenure = _checks.non_negative("tenure_days", tenure_days)
    _checks.same_length(purchase_days=days, tenure_days=tenure)
    full = _whole("full_purchases", full_purchases, 2)
    full_tenure = _checks.positive_scalar("full_tenure_days", full_tenure_days)
    score = 0.5 * np.minimum(1.0, (days - 1) / (full - 1)) + 0.5 * np.minimum(
        1.0, tenure / full_tenure
    )
    return np.where(days > 1, score, 0.0)


def share_of_wallet_factor(percent):
    """``clip(percent / 100, 0, 1)``; NaN (no answer) stays NaN."""
    return np.clip(_maybe_nan("percent", percent) / 100.0, 0.0, 1.0)


def choosing_factor(median_days, *, half_days=7.0):
    """``half_days / (half_days + max(median_days, 0))``; NaN stays NaN."""
    median = _maybe_nan("median_days", median_days)
    half = _checks.positive_scalar("half_days", half_days)
    return half / (half + np.maximum(median, 0.0))


def price_factor(discounted_share):
    """``1 - clip(discounted_share, 0, 1)``; NaN stays NaN."""
    return 1.0 - np.clip(_maybe_nan("discounted_share", discounted_share), 0.0, 1.0)


def competitors_factor(consideration, *, scale_max=10.0):
    """``1 - clip(consideration / scale_max, 0, 1)``; NaN stays NaN."""
    answer = _maybe_nan("consideration", consideration)
    scale = _checks.positive_scalar("scale_max", scale_max)
    return 1.0 - np.clip(answer / scale, 0.0, 1.0)


def tolerance_factor(incidents, recovered):
    """``clip(recovered / incidents, 0, 1)``, NaN where ``incidents`` is 0."""
    inc = _checks.non_negative("incidents", incidents)
    rec = _checks.non_negative("recovered", recovered)
    _checks.same_length(incidents=inc, recovered=rec)
    ratio = np.divide(rec, inc, out=np.full(inc.shape, np.nan), where=inc > 0)
    return np.clip(ratio, 0.0, 1.0)


def loyalty_index(factors, weights=DEFAULT_WEIGHTS):
    """Loyalty index of each customer (see the module docstring).

    :param factors: mapping of :data:`FACTORS` names to arrays in [0, 1] or
        NaN (missing); an omitted name is missing for every customer.
    :param weights: :class:`LoyaltyWeights`.
    :return: :class:`LoyaltyIndex`.
    :raises ValueError: on an unknown name, no factor at all, values outside
        [0, 1] (or inf), mismatched lengths or empty input.
    """
    if not isinstance(weights, LoyaltyWeights):
        raise ValueError(f"weights must be a LoyaltyWeights, got {weights!r}")
    if not isinstance(factors, Mapping):
        raise ValueError(f"factors must be a mapping, got {type(factors).__name__}")
    unknown = sorted(set(factors) - set(FACTORS))
    if unknown:
        raise ValueError(f"unknown loyalty factor(s) {unknown}; known: {FACTORS}")
    if not factors:
        raise ValueError("no loyalty factor given: the customers are unknown")
    arrays = {name: _maybe_nan(name, values) for name, values in factors.items()}
    for name, arr in arrays.items():
        if np.any((arr < 0) | (arr > 1)):
            raise ValueError(f"loyalty factor {name} must be in [0, 1] or NaN")
    n = _checks.same_length(**arrays)
    total_weight = np.zeros(n)
    total = np.zeros(n)
    used = np.zeros(n, dtype=np.int64)
    for k, (name, weight) in enumerate(zip(FACTORS, weights.as_array(), strict=True)):
        if name not in arrays or weight == 0:
            continue
        known = ~np.isnan(arrays[name])
        total_weight += np.where(known, weight, 0.0)
        total += np.where(known, weight * arrays[name], 0.0)
        used |= known.astype(np.int64) << k
    mean = np.divide(
        total, total_weight, out=np.full(n, np.nan), where=total_weight > 0
    )
    return LoyaltyIndex(index=np.clip(100.0 * mean, 0.0, 100.0), used=used)


def loyalty_classes(
    index, purchase_days, tenure_days, advocate, thresholds=DEFAULT_THRESHOLDS
):
    """``<U13`` array of the :data:`CLASSES` code of each customer.

    ``index`` in [0, 100] or NaN, ``purchase_days`` whole numbers >= 0,
    ``tenure_days`` >= 0, ``advocate`` a boolean mask (NPS promoter or
    referrer); see the module docstring for the rungs.
    """
    if not isinstance(thresholds, LoyaltyThresholds):
        raise ValueError(f"thresholds must be a LoyaltyThresholds, got {thresholds!r}")
    idx = _maybe_nan("index", index)
    if np.any((idx < 0) | (idx > 100)):
        raise ValueError("index must be in [0, 100] or NaN")
    days = _checks.counts("purchase_days", purchase_days)
    tenure = _checks.non_negative("tenure_days", tenure_days)
    promoter = np.atleast_1d(np.asarray(advocate))
    if promoter.dtype != np.bool_ or promoter.ndim != 1:
        raise ValueError("advocate must be a 1-D boolean mask")
    _checks.same_length(
        index=idx, purchase_days=days, tenure_days=tenure, advocate=promoter
    )
    t = thresholds
    regular = days >= t.regular_purchases
    long_standing = (
        regular & (days >= t.long_standing_purchases) & (tenure >= t.long_standing_days)
    )
    loyal = long_standing & (idx >= t.loyal_index)  # False for a NaN index
    rungs = (days > 0, regular, long_standing, loyal, loyal & promoter)
    return np.array(CLASSES)[np.sum(rungs, axis=0)]


#: satisfaction x loyalty: both, the trap (satisfied, not loyal), loyal but
#: dissatisfied, neither
QUADRANTS = ("satisfied_loyal", "trap", "loyal_unsatisfied", "neither")


def satisfaction_quadrants(satisfaction, index, *, satisfied=70.0, loyal=70.0):
    """``<U17`` array: the :data:`QUADRANTS` code of each customer, ``""``
    where the satisfaction (0-100) is NaN (never answered a survey).

    A satisfied customer is not necessarily loyal (满意的客户不一定是忠诚的客户):
    satisfaction >= ``satisfied`` and loyalty ``index`` >= ``loyal`` is
    ``satisfied_loyal``; satisfied and not loyal (index below, or NaN) is
    ``trap``; loyal and not satisfied is ``loyal_unsatisfied``, at risk when
    a competitor appears; the rest ``neither``.

    >>> satisfaction_quadrants([90, 90, 20, 20, np.nan], [80, 30, 80, 30, 80])
    array(['satisfied_loyal', 'trap', 'loyal_unsatisfied', 'neither', ''],
          dtype='<U17')
    """
    sat = _maybe_nan("satisfaction", satisfaction)
    idx = _maybe_nan("index", index)
    _checks.same_length(satisfaction=sat, index=idx)
    for name, value in (("satisfied", satisfied), ("loyal", loyal)):
        if not 0.0 <= float(value) <= 100.0:
            raise ValueError(f"{name} must be in [0, 100], got {value!r}")
    is_satisfied = sat >= satisfied  # False for NaN
    is_loyal = idx >= loyal
    codes = np.array((*QUADRANTS, ""), dtype="<U17")
    choice = np.select(
        [np.isnan(sat), is_satisfied & is_loyal, is_satisfied, is_loyal],
        [4, 0, 1, 2],
        default=3,
    )
    return codes[choice]


def _maybe_nan(name, values):
    """1-D non-empty float64 array; NaN (missing) allowed, inf is not."""
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if np.any(np.isinf(arr)):
        raise ValueError(f"{name} contains infinite value(s)")
    _checks.same_length(**{name: arr})
    return arr
