r"""Gamma-Gamma model of monetary value: fit and expected spend.

Inputs (one entry per customer):

* ``frequency`` (x): number of *repeat* purchases (purchases after the first
  one), a whole number ``>= 0``;
* ``monetary`` (m): mean value of the *repeat* transactions, in the currency
  (lifetimes convention: 0 for one-time buyers; any value may be given for
  them, the Gamma-Gamma model ignores it, see :func:`.clv.heuristic_clv`).

Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value")
----------------------------------------------------------------------------
Transaction values are Gamma(p, :math:`\nu`) around a customer mean
:math:`p/\nu`, with :math:`\nu \sim \Gamma(q, \gamma)` across customers
(``v`` below is :math:`\gamma`, in currency units).  The likelihood of the
mean :math:`\bar z = m` of x transactions is

.. math::

    f(m \mid x) = \frac{\Gamma(px + q)}{\Gamma(px)\,\Gamma(q)}
        \frac{\gamma^q\, m^{px - 1}\, x^{px}}{(\gamma + m x)^{px + q}}

and the expected spend per transaction is
:math:`E[M \mid x, m] = p(\gamma + m x) / (p x + q - 1)` (finite for q > 1),
i.e. the population mean :math:`p\gamma/(q - 1)` for x = 0.

The likelihood is maximised over the log-parameters with L-BFGS-B and analytic
gradients (:mod:`._fit`), on the customers with x > 0 and m > 0 only.
"""

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _checks
from ._fit import _dot, _group, _maximise, _positive_params, _start, _weights


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (``v`` is gamma, in currency units)."""

    p: float
    q: float
    v: float
    log_likelihood: float
    converged: bool
    n_customers: int = 0
    message: str = ""


def _gg_objective(log_params, x, m, weights):
    """Mean negative log-likelihood and gradient w.r.t. the log-parameters."""
    return _gg_fit_objective(log_params, _GGStats(x, m, weights))


class _GGStats:
    """Sufficient statistics of a Gamma-Gamma fit (x > 0, m > 0 only).

    Written as ``ln f = ln Gamma(px + q) - ln Gamma(px) - ln Gamma(q)
    + p x ln(xm) + q ln(gamma) - (px + q) ln(gamma + xm) - ln m``, the
    likelihood needs one logarithm per distinct ``(x, m)`` row and
    evaluation; the gamma functions are summed over the distinct x.
    """

    def __init__(self, x, m, weights):
        (x, m), w = _group([x, m], weights)
        self.n = float(w.sum())
        self.ux, inverse = np.unique(x, return_inverse=True)
        self.cx = np.bincount(inverse, weights=w, minlength=self.ux.size)
        self.x, self.m, self.w, self.wx, self.xm = x, m, w, w * x, x * m
        self.x_log_xm = self.wx @ np.log(self.xm)
        self.log_m = w @ np.log(m)


def _gg_stats_loglik_grad(params, s):
    """Total log-likelihood and gradient w.r.t. ``(p, q, v)``."""
    p, q, v = params
    ux, cx, n = s.ux, s.cx, s.n
    pux = p * ux
    log_vxm = np.log(v + s.xm)
    w_log, wx_log = _dot(s.w, log_vxm), _dot(s.wx, log_vxm)
    dig = special.digamma(pux + q)
    ll = (
        cx @ (special.gammaln(pux + q) - special.gammaln(pux) - special.gammaln(q))
        + p * (s.x_log_xm - wx_log)
        + q * (n * np.log(v) - w_log)
        - s.log_m
    )
    grad = np.array(
        [
            cx @ (ux * (dig - special.digamma(pux))) + s.x_log_xm - wx_log,
            cx @ (dig - special.digamma(q)) + n * np.log(v) - w_log,
            n * q / v - _dot(p * s.wx + q * s.w, 1.0 / (v + s.xm)),
        ]
    )
    return ll, grad


def _gg_fit_objective(log_params, stats):
    """Mean negative log-likelihood and gradient w.r.t. the log-parameters."""
    params = np.exp(log_params)
    with np.errstate(all="ignore"):
        ll, grad = _gg_stats_loglik_grad(params, stats)
    if not (np.isfinite(ll) and np.all(np.isfinite(grad))):
        return np.inf, np.zeros_like(log_params)
    return -ll / stats.n, -grad * params / stats.n


def _gg_moments(s):
    """Starting point ``(p, q, v)`` by the method of moments.

    Given nu, the mean of x transactions has mean ``p / nu`` and variance
    ``p / (x nu**2)``; with ``nu ~ Gamma(q, v)``, ``E[m] = p v / (q - 1)``
    and ``E[m**2 | x] = (p**2 + p / x) K``, ``K = v**2 / ((q - 1)(q - 2))``:
    a weighted regression of ``m**2`` on ``1 / x`` gives ``p**2 K`` and
    ``p K``, hence p, then q and v.  ``(1, 1, 1)`` if the moments are
    unusable (e.g. q <= 2, where the second moment is infinite).
    """
    w, m, inv_x = s.w, s.m, 1.0 / s.x
    design = np.column_stack([np.ones_like(inv_x), inv_x]) * np.sqrt(w)[:, None]
    try:
        (c0, c1), *_rest = np.linalg.lstsq(design, m**2 * np.sqrt(w), rcond=None)
    except np.linalg.LinAlgError:  # pragma: no cover - degenerate design
        return np.ones(3)
    mean = (w @ m) / s.n
    ratio = c0 / mean**2 if mean > 0 else 0.0
    if not (c0 > 0 and c1 > 0 and ratio > 1 and np.isfinite(ratio)):
        return np.ones(3)
    p = c0 / c1
    q = (2 * ratio - 1) / (ratio - 1)
    return np.array([p, q, mean * (q - 1) / p])


def fit_gamma_gamma(frequency, monetary, weights=None, start=None):
    """Maximum likelihood Gamma-Gamma fit (Fader & Hardie 2013).

    Only customers with ``frequency > 0`` and ``monetary > 0`` enter the fit
    (the model describes the mean of at least one positive transaction).

    :param frequency: repeat purchases per customer (whole numbers >= 0).
    :param monetary: mean value of the repeat transactions (currency, >= 0).
    :param weights: optional number of customers sharing each row, as in
        :func:`.bgnbd.fit_bgnbd`.
    :param start: optional starting point, e.g. the previous run's
        :class:`GammaGammaParams` (or ``(p, q, v)``, v in currency units);
        default: method of moments (:func:`_gg_moments`).
    :return: :class:`GammaGammaParams` (``v`` in currency units);
        ``converged`` as in :func:`.bgnbd.fit_bgnbd`.
    :raises ValueError: on invalid input, a bad ``start`` (as in
        :func:`.bgnbd.fit_bgnbd`) or if no customer qualifies.
    """
    x = _checks.counts("frequency", frequency)
    m = _checks.non_negative("monetary", monetary)
    _checks.same_length(frequency=x, monetary=m)
    w = _weights(weights, x.size)
    theta0 = _start("Gamma-Gamma", start, ("p", "q", "v"))
    keep = (x > 0) & (m > 0) & (w > 0)
    if not keep.any():
        raise ValueError(
            "fit_gamma_gamma needs customers with frequency > 0 and monetary > 0"
        )
    x, m, w = x[keep], m[keep], w[keep]
    scale = float((w @ m) / w.sum())
    stats = _GGStats(x, m / scale, w)
    moments = np.log(_gg_moments(stats))
    if theta0 is not None:
        theta0 = np.log(theta0) - np.log([1.0, 1.0, scale])
    res, problem, ll_scaled = _maximise(_gg_fit_objective, (stats,), theta0, moments)
    p, q, v_scaled = (float(v) for v in np.exp(res.x))
    # a density in m: scaling m by 1/s multiplies it by s
    ll = float(ll_scaled - np.log(scale) * stats.n)
    return GammaGammaParams(
        p,
        q,
        float(v_scaled * scale),
        log_likelihood=ll,
        converged=bool(not problem and np.isfinite(ll)),
        n_customers=int(round(stats.n)),
        message=problem or str(res.message),
    )


def gamma_gamma_expected_spend(params, frequency, monetary):
    """Expected value of a future transaction, ``p (v + m x) / (p x + q - 1)``.

    :param params: :class:`GammaGammaParams` or a sequence ``(p, q, v)``.
    :param frequency: repeat purchases (whole numbers >= 0).
    :param monetary: mean value of the repeat transactions (currency); not
        used when ``frequency == 0`` (population mean ``p v / (q - 1)``).
    :return: array in the currency of ``monetary``.
    :raises ValueError: on invalid input or if ``q <= 1`` (infinite mean).
    """
    p, q, v = _positive_params("Gamma-Gamma", params, ("p", "q", "v"))
    if q <= 1:
        raise ValueError(f"Gamma-Gamma q = {q!r} <= 1: the expected spend is infinite")
    x = _checks.counts("frequency", frequency)
    m = _checks.non_negative("monetary", monetary)
    _checks.same_length(frequency=x, monetary=m)
    return p * (v + x * m) / (p * x + q - 1)
