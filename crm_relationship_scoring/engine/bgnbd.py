r"""BG/NBD model: fit, log-likelihood, P(alive) and expected purchases.

Inputs (one entry per customer, all in the *same* time unit, e.g. weeks):

* ``frequency`` (x): number of *repeat* purchases (purchases after the first
  one), a whole number ``>= 0``;
* ``recency`` (t_x): age of the customer at the last purchase, i.e. time
  between the first and the last purchase (0 for one-time buyers; ignored
  when x = 0);
* ``T``: age of the customer, time between the first purchase and the end of
  the observation period, ``recency <= T``.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an
alternative to the Pareto/NBD model", Marketing Science 24(2) 275-284)
----------------------------------------------------------------------------
While alive a customer buys at Poisson rate :math:`\lambda \sim
\Gamma(r, \alpha)` (shape r, rate :math:`\alpha`, in 1/time unit); after any
purchase she drops out with probability :math:`p \sim B(a, b)`.  The
likelihood of one customer is (FHL eq. 6)

.. math::

    L = \frac{B(a, b + x)}{B(a, b)}
        \frac{\Gamma(r + x)\,\alpha^r}{\Gamma(r)\,(\alpha + T)^{r + x}}
      + \delta_{x > 0} \frac{B(a + 1, b + x - 1)}{B(a, b)}
        \frac{\Gamma(r + x)\,\alpha^r}{\Gamma(r)\,(\alpha + t_x)^{r + x}}

evaluated in logs as :math:`A_1 + A_2 + \operatorname{logaddexp}(A_3, A_4)`
with :math:`A_1 = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha`,
:math:`A_2 = \ln B(a, b+x) - \ln B(a, b)`,
:math:`A_3 = -(r+x)\ln(\alpha+T)` and
:math:`A_4 = \ln a - \ln(b+x-1) - (r+x)\ln(\alpha+t_x)` (x > 0 only).
It is maximised over the log-parameters with L-BFGS-B and analytic gradients
(:mod:`._fit`).

Probability of being alive (FHL 2005 appendix; Fader, Hardie & Lee 2008
note "Computing P(alive) using the BG/NBD model"):

.. math::

    P(\text{alive}) = 1 \Big/ \left(1 + \delta_{x>0} \frac{a}{b + x - 1}
        \left(\frac{\alpha + T}{\alpha + t_x}\right)^{r + x}\right)

(1 for x = 0: the BG/NBD only lets customers drop out right after a repeat
purchase).  Conditional expected purchases in ``(T, T + t]`` (FHL eq. 10)

.. math::

    E[Y(t)] = P(\text{alive}) \frac{a + b + x - 1}{a - 1}
        \left[1 - \left(\frac{\alpha + T}{\alpha + T + t}\right)^{r + x}
        {}_2F_1\!\left(r + x, b + x; a + b + x - 1; z\right)\right],
    \quad z = \frac{t}{\alpha + T + t},

evaluated after Euler's transformation
:math:`{}_2F_1(A, B; C; z) = (1 - z)^{C - A - B}\,{}_2F_1(C - A, C - B; C; z)`,
i.e. the bracket is
:math:`1 - (1 - z)^{a - 1}\,{}_2F_1(a + b - 1 - r, a - 1; a + b + x - 1; z)`:
its parameters stay small when x is large, which keeps ``hyp2f1`` accurate.
"""

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _checks
from ._fit import (
    _dot,
    _finite_or_raise,
    _group,
    _maximise,
    _positive_params,
    _start,
    _weights,
)


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted BG/NBD parameters (``alpha`` in the time unit of the data)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool
    n_customers: int = 0
    message: str = ""


def _bgnbd_terms(params, x, t_x, T):
    """Per-customer log-likelihood and weight ``w`` of the A4 branch."""
    r, alpha, a, b = params
    rep = x > 0
    x_safe = np.where(rep, x, 1.0)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - special.betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(
        rep,
        np.log(a) - np.log(b + x_safe - 1) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    lse = np.logaddexp(a3, a4)
    return a1 + a2 + lse, np.exp(a4 - lse)


def _bgnbd_loglik_grad(params, x, t_x, T, weights):
    """Total log-likelihood and its gradient w.r.t. ``(r, alpha, a, b)``."""
    return _bgnbd_stats_loglik_grad(params, _BGNBDStats(x, t_x, T, weights))


def _bgnbd_objective(log_params, x, t_x, T, weights):
    """Mean negative log-likelihood and gradient w.r.t. the log-parameters."""
    return _bgnbd_fit_objective(log_params, _BGNBDStats(x, t_x, T, weights))


class _BGNBDStats:
    """Sufficient statistics of a BG/NBD fit.

    Identical ``(x, t_x, T)`` rows are grouped with their summed weight; the
    terms that depend on x alone (gamma, beta and digamma functions) are
    summed over the distinct values of x; repeat customers come first so
    that their rows are a view (``[:n_rep]``) of the per-customer arrays.
    One evaluation then costs a few vector operations per distinct customer:
    two logarithms, a softplus and a logistic.
    """

    def __init__(self, x, t_x, T, weights):
        (x, t_x, T), w = _group([x, t_x, T], weights)
        order = np.argsort(x <= 0, kind="stable")  # repeat customers first
        x, t_x, T, w = x[order], t_x[order], T[order], w[order]
        self.n_rep = int(np.count_nonzero(x > 0))
        self.n = float(w.sum())
        self.ux, inverse = np.unique(x, return_inverse=True)
        self.cx = np.bincount(inverse, weights=w, minlength=self.ux.size)
        self.x, self.T, self.w, self.wx = x, T, w, w * x
        rep = slice(0, self.n_rep)
        self.x_rep, self.t_x_rep, self.w_rep = x[rep], t_x[rep], w[rep]


def _bgnbd_stats_loglik_grad(params, s):
    """Total log-likelihood and gradient w.r.t. ``(r, alpha, a, b)``.

    With ``d = A4 - A3`` (repeat customers only) the log-likelihood of a
    customer is ``A1 + A2 + A3 + softplus(d)`` and ``expit(d)`` is the weight
    of the A4 branch in every derivative.
    """
    r, alpha, a, b = params
    ux, cx, n, rep = s.ux, s.cx, s.n, slice(0, s.n_rep)
    log_t = np.log(alpha + s.T)
    log_tx = np.log(alpha + s.t_x_rep)
    gap = log_t[rep] - log_tx
    d = np.log(a) - np.log(b - 1 + s.x_rep) + (r + s.x_rep) * gap
    # softplus(d) = max(d, 0) + log1p(e) and expit(d), from e = exp(-|d|)
    e = np.exp(-np.abs(d))
    inv_1pe = 1.0 / (1.0 + e)
    ww = s.w_rep * np.where(d >= 0, inv_1pe, e * inv_1pe)
    inv_t = 1.0 / (alpha + s.T)
    w_log_t, wx_log_t = _dot(s.w, log_t), _dot(s.wx, log_t)
    ll = (
        cx
        @ (
            special.gammaln(r + ux)
            - special.gammaln(r)
            + special.betaln(a, b + ux)
            - special.betaln(a, b)
        )
        + n * r * np.log(alpha)
        - r * w_log_t
        - wx_log_t
        + _dot(s.w_rep, np.maximum(d, 0.0) + np.log1p(e))
    )
    dig_ab = special.digamma(a + b) - special.digamma(a + b + ux)
    grad = np.array(
        [
            cx @ (special.digamma(r + ux) - special.digamma(r))
            + n * np.log(alpha)
            - w_log_t
            + _dot(ww, gap),
            n * r / alpha
            - r * _dot(s.w, inv_t)
            - _dot(s.wx, inv_t)
            + _dot(ww * (r + s.x_rep), inv_t[rep] - 1.0 / (alpha + s.t_x_rep)),
            cx @ dig_ab + ww.sum() / a,
            cx @ (dig_ab + special.digamma(b + ux) - special.digamma(b))
            - _dot(ww, 1.0 / (b - 1 + s.x_rep)),
        ]
    )
    return ll, grad


def _bgnbd_fit_objective(log_params, stats):
    """Mean negative log-likelihood and gradient w.r.t. the log-parameters."""
    params = np.exp(log_params)
    with np.errstate(all="ignore"):
        ll, grad = _bgnbd_stats_loglik_grad(params, stats)
    if not (np.isfinite(ll) and np.all(np.isfinite(grad))):
        return np.inf, np.zeros_like(log_params)
    return -ll / stats.n, -grad * params / stats.n


def _bgnbd_moments(s):
    """Starting point ``(r, alpha, a, b)`` by the method of moments.

    While alive, ``x | lambda ~ Poisson(lambda T)`` and ``lambda ~ Gamma(r,
    alpha)``: ``E[x / T] = r / alpha`` and ``Var(x / T) = r / alpha**2 +
    E[1 / T] r / alpha``, solved for r and alpha (dropouts are ignored, which
    is good enough for a start).  ``a = 1, b = 3`` (mean dropout
    probability 1/4) unless the moments are unusable.
    """
    aged = s.T > 0
    w, rate = s.w[aged], s.x[aged] / s.T[aged]
    total = w.sum()
    if total <= 0:
        return np.array([1.0, 1.0, 1.0, 3.0])
    mean = (w @ rate) / total
    spread = (w @ (rate - mean) ** 2) / total - mean * (w @ (1 / s.T[aged])) / total
    if mean > 0 and spread > 0:
        return np.array([mean**2 / spread, mean / spread, 1.0, 3.0])
    return np.array([1.0, 1.0 / max(mean, 1e-3), 1.0, 3.0])


def bgnbd_log_likelihood(params, frequency, recency, T):
    """Total BG/NBD log-likelihood (FHL 2005 eq. 6) of a customer base.

    :param params: :class:`BGNBDParams` or a sequence ``(r, alpha, a, b)``.
    """
    theta = _bgnbd_tuple(params)
    x, t_x, age = _checks.customers(frequency, recency, T)
    ll, _w = _bgnbd_terms(theta, x, t_x, age)
    return float(ll.sum())


def fit_bgnbd(frequency, recency, T, weights=None, start=None):
    """Maximum likelihood BG/NBD fit (Fader, Hardie & Lee 2005).

    :param frequency: repeat purchases per customer (whole numbers >= 0).
    :param recency: age at the last purchase (0 if no repeat purchase).
    :param T: age of the customer; same time unit as ``recency``.
    :param weights: optional number of customers sharing each row (whole
        numbers >= 0, default 1 each): a base summarised as its distinct
        ``(frequency, recency, T)`` rows with their counts gives the same fit
        as the full base.
    :param start: optional starting point, e.g. the :class:`BGNBDParams` of
        the previous run (or ``(r, alpha, a, b)`` in the time unit of the
        data); the optimum does not depend on it, only the number of
        iterations.  Default: method of moments.
    :return: :class:`BGNBDParams`; ``alpha`` is in that time unit (r, a, b
        are dimensionless).  ``converged`` is True only for a well-determined
        interior maximum: False when the optimiser failed, ended on the
        bounds of the parameters or on a flat ridge of the likelihood (e.g.
        all customers are one-time buyers, or no dropout is visible);
        ``message`` then says why.  ``log_likelihood`` and ``n_customers``
        count each row ``weight`` times.
    :raises ValueError: on invalid input (see the module docstring), or a
        ``start`` that is not four finite positive numbers within
        ``exp(+-LOG_BOUND)``.

    Times are rescaled so that ``max(T) = 10`` during the optimisation (alpha
    is a rate parameter: it is scaled back), the likelihood and its analytic
    gradient are evaluated on sufficient statistics (:class:`_BGNBDStats`)
    and L-BFGS-B solves once from the start.
    """
    x, t_x, age = _checks.customers(frequency, recency, T)
    w = _weights(weights, x.size)
    theta0 = _start("BG/NBD", start, ("r", "alpha", "a", "b"))
    keep = w > 0
    if not keep.all():
        x, t_x, age, w = x[keep], t_x[keep], age[keep], w[keep]
    scale = age.max() / 10.0 if age.max() > 0 else 1.0
    stats = _BGNBDStats(x, t_x / scale, age / scale, w)
    moments = np.log(_bgnbd_moments(stats))
    if theta0 is not None:
        theta0 = np.log(theta0) - np.log([1.0, scale, 1.0, 1.0])
    res, problem, ll_scaled = _maximise(_bgnbd_fit_objective, (stats,), theta0, moments)
    r, alpha_scaled, a, b = (float(v) for v in np.exp(res.x))
    # the likelihood is a density in t_x: scaling times by 1/s multiplies it
    # by s**x
    ll = float(ll_scaled - np.log(scale) * (stats.wx.sum()))
    return BGNBDParams(
        r,
        float(alpha_scaled * scale),
        a,
        b,
        log_likelihood=ll,
        converged=bool(not problem and np.isfinite(ll)),
        n_customers=int(round(stats.n)),
        message=problem or str(res.message),
    )


def bgnbd_p_alive(params, frequency, recency, T):
    """Probability that each customer is still alive at age ``T``.

    :param params: :class:`BGNBDParams` or ``(r, alpha, a, b)``.
    :return: array in [0, 1]; 1 for customers without repeat purchase.
    """
    theta = _bgnbd_tuple(params)
    x, t_x, age = _checks.customers(frequency, recency, T)
    return _p_alive(theta, x, t_x, age)


def bgnbd_expected_purchases(params, t, frequency, recency, T):
    """Conditional expected number of purchases in the next ``t`` periods.

    FHL 2005 eq. 10 (module docstring), with ``hyp2f1`` from scipy.special.

    :param params: :class:`BGNBDParams` or ``(r, alpha, a, b)``.
    :param t: length of the prediction window (scalar or one per customer),
        in the time unit of ``T``.
    :return: array of expected purchases (>= 0).
    :raises ValueError: on invalid input, or if the parameters make the
        formula numerically unusable (non-finite result).
    """
    theta = _bgnbd_tuple(params)
    x, t_x, age = _checks.customers(frequency, recency, T)
    t = _broadcast_t(t, x.size)
    with np.errstate(all="ignore"):
        out = _p_alive(theta, x, t_x, age) * _purchases_if_alive(theta, t, x, age)
    return _finite_or_raise("expected purchases", out)


def _p_alive(theta, x, t_x, age):
    r, alpha, a, b = theta
    rep = x > 0
    x_safe = np.where(rep, x, 1.0)
    log_odds = (
        np.log(a)
        - np.log(b + x_safe - 1)
        + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
    )
    return np.where(rep, special.expit(-log_odds), 1.0)


def _purchases_if_alive(theta, t, x, age):
    """Expected purchases in ``(T, T + t]`` of a customer alive at ``T``."""
    r, alpha, a, b = theta
    if abs(a - 1.0) < 1e-8:  # removable singularity of the formula at a = 1
        a = 1.0 + 1e-8
    log_1mz = np.log(alpha + age) - np.log(alpha + age + t)
    z = -np.expm1(log_1mz)
    h = special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    u = (a - 1) * log_1mz
    bracket = -np.expm1(u) - np.exp(u) * (h - 1)
    return np.maximum((a + b + x - 1) / (a - 1) * bracket, 0.0)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _bgnbd_tuple(params):
    return _positive_params("BG/NBD", params, ("r", "alpha", "a", "b"))


def _broadcast_t(t, n):
    t = _checks.non_negative("t", t)
    if t.size not in (1, n):
        raise ValueError(f"t must be a scalar or have one value per customer ({n})")
    return t
