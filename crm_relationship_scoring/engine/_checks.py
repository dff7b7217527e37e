"""Input validation shared by the engine modules (private).

Every public function of the engine validates its inputs here, so that bad
data fails early with an explicit :class:`ValueError` instead of silently
producing ``nan`` further down.
"""

import numpy as np


def as_float_array(name, values):
    """Return ``values`` as a finite 1-D float64 array (a copy-free view when
    possible).

    Scalars are promoted to arrays of length 1.

    :raises ValueError: if the input is not 1-D, contains NaN or inf, or is
        not numeric.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return arr


def non_negative(name, values):
    """:func:`as_float_array` plus a check that every value is ``>= 0``."""
    arr = as_float_array(name, values)
    if arr.size and arr.min() < 0:
        bad = int(np.count_nonzero(arr < 0))
        raise ValueError(
            f"{name} must be >= 0, got {bad} negative value(s) (min {arr.min()!r})"
        )
    return arr


def counts(name, values):
    """Non-negative whole numbers (float64 array), e.g. repeat purchases."""
    arr = non_negative(name, values)
    if not np.array_equal(arr, np.floor(arr)):
        raise ValueError(f"{name} must hold whole numbers (counts)")
    return arr


def same_length(**arrays):
    """Check that all arrays are non-empty and of the same length; return it."""
    lengths = {name: arr.shape[0] for name, arr in arrays.items()}
    if len(set(lengths.values())) != 1:
        detail = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(f"input arrays have mismatched lengths: {detail}")
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError(f"empty input: {', '.join(lengths)} have no customer")
    return n


def customers(frequency, recency, T):
    """Validate the (frequency, recency, T) summary of a customer base.

    ``frequency`` are repeat purchase counts, ``recency`` the age of the
    customer at the last purchase and ``T`` the current age, all ``>= 0``
    with ``recency <= T``.  Returns the three float64 arrays.
    """
    x = counts("frequency", frequency)
    t_x = non_negative("recency", recency)
    age = non_negative("T", T)
    same_length(frequency=x, recency=t_x, T=age)
    too_late = t_x > age * (1 + 1e-12) + 1e-12
    if np.any(too_late):
        i = int(np.flatnonzero(too_late)[0])
        raise ValueError(
            f"recency must be <= T: {int(too_late.sum())} customer(s) purchased "
            f"after their age (first at index {i}: recency={t_x[i]!r}, "
            f"T={age[i]!r})"
        )
    # absorb rounding noise of the <= T tolerance above
    return x, np.minimum(t_x, age), age


def positive_scalar(name, value, allow_zero=False):
    """A finite float ``> 0`` (or ``>= 0`` with ``allow_zero``)."""
    try:
        val = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(val) or val < 0 or (val == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return val
