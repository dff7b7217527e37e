r"""Probabilistic customer lifetime value: BG/NBD + Gamma-Gamma, and a fallback.

Inputs (one entry per customer, all in the *same* time unit, e.g. weeks):

* ``frequency`` (x): number of *repeat* purchases (purchases after the first
  one), a whole number ``>= 0``;
* ``recency`` (t_x): age of the customer at the last purchase, i.e. time
  between the first and the last purchase (0 for one-time buyers; ignored
  when x = 0);
* ``T``: age of the customer, time between the first purchase and the end of
  the observation period, ``recency <= T``;
* ``monetary`` (m): mean value of the *repeat* transactions, in the currency
  (lifetimes convention: 0 for one-time buyers; any value may be given for
  them, the Gamma-Gamma model ignores it, see :func:`heuristic_clv`).

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
It is maximised over the log-parameters with L-BFGS-B and analytic gradients.

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

CLV (as in the ``lifetimes`` package)
-------------------------------------
With ``k = ceil(horizon / time_step)`` steps ending at
:math:`t_i = \min(i \cdot \text{time\_step}, \text{horizon})`,

.. math::

    CLV = \sum_{i=1}^{k} \frac{(E[Y(t_i)] - E[Y(t_{i-1})])\,E[M]}
        {(1 + \text{discount\_rate})^i}.

Heuristic fallback
------------------
Used by :func:`score_customers` when there are fewer than
:data:`MIN_CUSTOMERS` customers, fewer than :data:`MIN_REPEATERS` repeat
customers with a positive monetary value, or when a fit does not converge or
gives unusable parameters; see :func:`heuristic_clv`.
"""

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from . import _checks

#: fewer customers than this: the models are not fitted (heuristic instead)
MIN_CUSTOMERS = 20
#: fewer repeat customers (frequency > 0, monetary > 0) than this: heuristic
MIN_REPEATERS = 10
#: bound of the log-parameters during the fits (|ln theta| <= 15); a fit that
#: ends on it has no interior maximum and is reported as not converged
LOG_BOUND = 15.0
#: largest gradient of the mean log-likelihood (w.r.t. the log-parameters)
#: accepted at a maximum
MAX_GRADIENT = 1e-5
#: a fit whose log-parameters have a larger standard error is not trusted
MAX_LOG_STD_ERROR = 3.0
#: largest number of CLV time steps (guards against a tiny ``time_step``)
MAX_STEPS = 10_000

METHOD_MODEL = "bgnbd_gamma_gamma"
METHOD_HEURISTIC = "heuristic"
METHODS = (METHOD_MODEL, METHOD_HEURISTIC)


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


@dataclass(frozen=True)
class CustomerScores:
    """Result of :func:`score_customers` (arrays aligned on the input).

    :ivar clv: discounted expected value over the horizon (currency).
    :ivar p_alive: probability that the customer is still active, in [0, 1].
    :ivar expected_purchases: expected purchases within the horizon.
    :ivar expected_spend: expected value of one future purchase (currency).
    :ivar method: ``"bgnbd_gamma_gamma"`` or ``"heuristic"``.
    :ivar bgnbd: :class:`BGNBDParams` of the model, None for the heuristic.
    :ivar gamma_gamma: :class:`GammaGammaParams`, None for the heuristic.
    :ivar reason: why the heuristic was used ("" for the model).
    """

    clv: np.ndarray
    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend: np.ndarray
    method: str
    bgnbd: BGNBDParams | None = None
    gamma_gamma: GammaGammaParams | None = None
    reason: str = ""


class _ModelUnusable(Exception):
    """The probabilistic models cannot score this customer base."""


# --------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------


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
# Gamma-Gamma
# --------------------------------------------------------------------------


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
        :func:`fit_bgnbd`.
    :param start: optional starting point, e.g. the previous run's
        :class:`GammaGammaParams` (or ``(p, q, v)``, v in currency units);
        default: method of moments (:func:`_gg_moments`).
    :return: :class:`GammaGammaParams` (``v`` in currency units);
        ``converged`` as in :func:`fit_bgnbd`.
    :raises ValueError: on invalid input, a bad ``start`` (as in
        :func:`fit_bgnbd`) or if no customer qualifies.
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


# --------------------------------------------------------------------------
# CLV
# --------------------------------------------------------------------------


def customer_lifetime_value(
    bgnbd,
    gamma_gamma,
    frequency,
    recency,
    T,
    monetary,
    horizon,
    discount_rate,
    time_step,
):
    """Discounted expected value of each customer over ``horizon``.

    ``sum_i (E[Y(t_i)] - E[Y(t_{i-1})]) * E[M] / (1 + discount_rate) ** i``
    over steps ``t_i = min(i * time_step, horizon)`` (module docstring).

    :param bgnbd: :class:`BGNBDParams` or ``(r, alpha, a, b)``.
    :param gamma_gamma: :class:`GammaGammaParams` or ``(p, q, v)``.
    :param horizon: length of the prediction, same time unit as ``T``.
    :param time_step: length of a discounting step, same unit as ``T``.
    :param discount_rate: discount rate per ``time_step`` (0.01 = 1 %).
    :return: array of CLV in the currency of ``monetary``.
    """
    theta = _bgnbd_tuple(bgnbd)
    x, t_x, age = _checks.customers(frequency, recency, T)
    spend = gamma_gamma_expected_spend(gamma_gamma, x, monetary)
    steps = _steps(horizon, discount_rate, time_step)
    clv, _p, _y = _predict(theta, x, t_x, age, spend, steps)
    return _finite_or_raise("customer lifetime value", clv)


def _predict(theta, x, t_x, age, spend, steps):
    """CLV, P(alive) and expected purchases over the horizon, in one pass.

    Vectorised over the customers; the loop runs over the k discounting
    steps, and the last step (ending at the horizon) gives the expected
    purchases, so hyp2f1 is evaluated k times per customer in all.
    """
    ends, factors = steps
    with np.errstate(all="ignore"):
        total = np.zeros_like(x)
        previous = np.zeros_like(x)
        for end, factor in zip(ends, factors, strict=True):
            current = _purchases_if_alive(theta, end, x, age)
            total += (current - previous) * factor
            previous = current
        p_alive = _p_alive(theta, x, t_x, age)
        return p_alive * total * spend, p_alive, p_alive * previous


def heuristic_clv(
    frequency,
    recency,
    T,
    monetary,
    horizon=12.0,
    discount_rate=0.01,
    time_step=1.0,
    reason="",
):
    """Model-free CLV: purchase rate x order value x remaining lifetime.

    Per customer (x repeat purchases, recency t_x, age T, mean value m), all
    times in the unit of ``T``:

    * population gap ``G = sum(T) / sum(x)``: observed time per repeat
      purchase over the whole base; if nobody repeated,
      ``max(sum(T), horizon)``, as if one repeat purchase had been seen in
      that time; at least ``time_step``;
    * historical purchase rate, shrunk towards ``1 / G`` by one
      pseudo-purchase (posterior mean of a Poisson rate under a Gamma(1, G)
      prior): ``rate = (x + 1) / (T + G)`` repeat purchases per time unit;
    * recency decay: ``p_alive = (t_x / T) ** x`` (1 for one-time buyers
      and at ``T = 0``), the probability that the last of x purchase times
      falls before t_x when they are spread uniformly over the age T, as
      they are for a customer still buying at a constant pace: long silences
      after many purchases are suspicious (like in the BG/NBD, one-time
      buyers are not judged by recency; their rate decays with their age);
    * order value: ``m`` when > 0, else the frequency-weighted mean of ``m``
      over repeat customers (else the mean of the positive ``m``, else 0);
      hence the value of the single order of one-time buyers may be passed
      as their ``m``;
    * expected remaining (discounted) lifetime within the horizon:
      ``p_alive * sum_i (t_i - t_{i-1}) / (1 + discount_rate) ** i``.

    ``clv = rate * order value * p_alive * discounted time`` and
    ``expected_purchases = rate * p_alive * horizon``: both grow with a more
    recent last purchase.  Units as in :func:`customer_lifetime_value`.

    :return: :class:`CustomerScores` with ``method="heuristic"``.
    """
    x, t_x, age = _checks.customers(frequency, recency, T)
    m = _checks.non_negative("monetary", monetary)
    _checks.same_length(frequency=x, monetary=m)
    ends, factors = _steps(horizon, discount_rate, time_step)
    rate = (x + 1) / (age + _population_gap(x, age, ends[-1], time_step))
    p_alive = np.ones_like(rate)
    judged = (x > 0) & (age > 0)
    p_alive[judged] = (t_x[judged] / age[judged]) ** x[judged]
    spend = np.where(m > 0, m, _mean_order_value(x, m))
    discounted_time = float(np.diff(ends, prepend=0.0) @ factors)
    return CustomerScores(
        clv=rate * spend * p_alive * discounted_time,
        p_alive=p_alive,
        expected_purchases=rate * p_alive * ends[-1],
        expected_spend=spend,
        method=METHOD_HEURISTIC,
        reason=reason,
    )


def score_customers(
    frequency,
    recency,
    T,
    monetary,
    horizon=12.0,
    discount_rate=0.01,
    time_step=1.0,
    method="auto",
    min_customers=MIN_CUSTOMERS,
    min_repeaters=MIN_REPEATERS,
    start=None,
):
    """Score a customer base: CLV, P(alive) and expected purchases.

    Fits BG/NBD and Gamma-Gamma and returns their CLV (``method =
    "bgnbd_gamma_gamma"``); falls back to :func:`heuristic_clv` (``method =
    "heuristic"``, ``reason`` says why) with fewer than ``min_customers``
    customers, fewer than ``min_repeaters`` repeat customers with a positive
    monetary value, when all ages are 0, when a fit does not converge, when
    Gamma-Gamma has ``q <= 1`` or when the model gives non-finite values.

    The defaults read T in months: 12-month horizon, 1 %/month discount
    (those of lifetimes); all times share the unit of ``T``.

    :param method: ``"auto"`` (above) or ``"heuristic"`` (skip the models).
    :param start: optional warm start of the fits, a pair ``(bgnbd,
        gamma_gamma)`` such as the previous run's ``(scores.bgnbd,
        scores.gamma_gamma)`` (either may be None); see :func:`fit_bgnbd`.
    :return: :class:`CustomerScores`; every array is finite.
    :raises ValueError: on invalid input (NaN, inf, negative values,
        ``recency > T``, mismatched lengths, empty input, bad settings).
    """
    x, t_x, age = _checks.customers(frequency, recency, T)
    m = _checks.non_negative("monetary", monetary)
    _checks.same_length(frequency=x, monetary=m)
    _steps(horizon, discount_rate, time_step)
    if method not in ("auto", METHOD_HEURISTIC):
        raise ValueError(f"method must be 'auto' or 'heuristic', got {method!r}")
    if start is not None and (isinstance(start, str) or len(start) != 2):
        raise ValueError("start must be a pair (bgnbd, gamma_gamma) of parameters")
    settings = (horizon, discount_rate, time_step)
    reason = "heuristic method requested"
    if method == "auto":
        reason = _model_blocker(x, m, age, min_customers, min_repeaters)
    if not reason:
        try:
            return _model_scores(x, t_x, age, m, settings, start)
        except _ModelUnusable as exc:
            reason = str(exc)
    return heuristic_clv(x, t_x, age, m, *settings, reason=reason)


def _model_blocker(x, m, age, min_customers, min_repeaters):
    """Why the models must not be fitted on this base ("" if they may)."""
    repeaters = int(np.count_nonzero((x > 0) & (m > 0)))
    if x.size < min_customers:
        return f"only {x.size} customer(s), at least {min_customers} needed"
    if repeaters < min_repeaters:
        return (
            f"only {repeaters} repeat customer(s) with a positive monetary "
            f"value, at least {min_repeaters} needed"
        )
    if age.max() <= 0:
        return "every customer has age T = 0"
    return ""


def _model_scores(x, t_x, age, m, settings, start=None):
    bgnbd_start, gamma_gamma_start = start if start is not None else (None, None)
    bgnbd = fit_bgnbd(x, t_x, age, start=bgnbd_start)
    if not bgnbd.converged:
        raise _ModelUnusable(f"BG/NBD fit did not converge ({bgnbd.message})")
    gamma_gamma = fit_gamma_gamma(x, m, start=gamma_gamma_start)
    if not gamma_gamma.converged:
        raise _ModelUnusable(
            f"Gamma-Gamma fit did not converge ({gamma_gamma.message})"
        )
    if gamma_gamma.q <= 1:
        raise _ModelUnusable(f"Gamma-Gamma q = {gamma_gamma.q:.3g} <= 1")
    spend = gamma_gamma_expected_spend(gamma_gamma, x, m)
    theta = (bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b)
    clv, p_alive, purchases = _predict(theta, x, t_x, age, spend, _steps(*settings))
    for what, values in (
        ("customer lifetime value", clv),
        ("expected purchases", purchases),
    ):
        if not np.all(np.isfinite(values)):
            raise _ModelUnusable(
                f"{what}: the parameters give non-finite values (numerically "
                "unstable region of the model)"
            )
    return CustomerScores(
        clv=clv,
        p_alive=p_alive,
        expected_purchases=purchases,
        expected_spend=spend,
        method=METHOD_MODEL,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
    )


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _dot(a, b):
    """``a @ b`` for two vectors, without BLAS.

    OpenBLAS' ``ddot`` hands long vectors to worker threads that take
    milliseconds to wake up on a busy machine, ten times the product itself:
    in the likelihood evaluations the single-threaded loop of ``einsum`` is
    faster and its timing steadier.
    """
    return np.einsum("i,i->", a, b)


def _group(columns, weights):
    """Distinct rows of ``columns`` (equal-length arrays) and summed weights.

    Rows are compared exactly.  When the last column holds no repeated value
    no two rows can be equal, and the sort of the rows is skipped (continuous
    ages: nothing to group).
    """
    last = np.sort(columns[-1])
    if np.all(last[1:] != last[:-1]):
        return columns, weights
    order = np.lexsort(columns[::-1])
    columns = [c[order] for c in columns]
    new = np.zeros(columns[0].size, dtype=bool)
    new[0] = True
    for c in columns:
        new[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(new)
    return [c[starts] for c in columns], np.add.reduceat(weights[order], starts)


def _weights(weights, n):
    """Validated weights of the rows (default 1 each), not all zero."""
    if weights is None:
        return np.ones(n)
    w = _checks.counts("weights", weights)
    _checks.same_length(customers=np.empty(n), weights=w)
    if not w.any():
        raise ValueError("weights are all 0: no customer to fit")
    return w


def _start(model, start, names):
    """A warm start as an array of parameters, or None (method of moments)."""
    if start is None:
        return None
    try:
        theta = np.array(_positive_params(model, start, names))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid start: {exc}") from None
    if np.any(np.abs(np.log(theta)) >= LOG_BOUND):
        raise ValueError(
            f"invalid start: {model} parameters {tuple(theta)} outside "
            f"exp(+-{LOG_BOUND:g})"
        )
    return theta


def _maximise(objective, args, start, moments):
    """Minimise ``objective`` (mean negative log-likelihood and gradient in
    the log-parameters) from ``start`` (log-parameters; None or a point where
    the likelihood is not finite: from ``moments``, else from ``ln theta =
    0``).  Returns the scipy result, "" if it is a well-determined interior
    maximum (else the reason why not) and the total log-likelihood.
    """
    n_params = moments.size
    bound = LOG_BOUND - 1e-2
    candidates = [c for c in (start, moments) if c is not None]
    candidates.append(np.zeros(n_params))
    for candidate in candidates:
        point = np.clip(candidate, -bound, bound)
        if np.isfinite(objective(point, *args)[0]):
            break
    for _attempt in range(3):  # a restart drops a stale quasi-Newton memory
        res = optimize.minimize(
            objective,
            point,
            args=args,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * n_params,
            options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
        )
        if np.max(np.abs(res.jac)) < MAX_GRADIENT / 100:
            break
        point = res.x
    n_obs = args[0].n
    ll = -float(res.fun) * n_obs
    if np.any(np.abs(res.x) >= LOG_BOUND - 1e-3):
        return res, "a parameter ran to its bound: no interior maximum", ll
    # judged by the gradient, not by res.success: L-BFGS-B may report a line
    # search failure right at the optimum (rounding leaves no descent) or a
    # success after stalling on a narrow ridge
    gradient = float(np.max(np.abs(res.jac)))
    if not gradient < MAX_GRADIENT:
        return res, f"optimiser stopped at gradient {gradient:.3g} ({res.message})", ll
    return res, _flatness(objective, res.x, res.jac, args, n_obs), ll


def _flatness(objective, log_params, gradient, args, n_obs):
    """Check the curvature of the likelihood at the optimum.

    The observed information (Hessian of the total negative log-likelihood,
    forward differences of the analytic gradient) must be positive definite
    and give every log-parameter a standard error below
    :data:`MAX_LOG_STD_ERROR`; otherwise the maximum lies at infinity along a
    flat ridge (e.g. a, b -> infinity in the BG/NBD) and the fit is not
    trusted.  Returns "" or the reason.
    """
    h = 1e-5
    rows = []
    for step in np.eye(log_params.size) * h:
        forward = objective(log_params + step, *args)[1]
        rows.append((forward - gradient) / h)
    hessian = np.array(rows) * n_obs
    hessian = (hessian + hessian.T) / 2
    try:
        np.linalg.cholesky(hessian)
        std_errors = np.sqrt(np.diag(np.linalg.inv(hessian)))
    except np.linalg.LinAlgError:
        return "flat likelihood: the information matrix is singular"
    if not np.all(std_errors < MAX_LOG_STD_ERROR):  # also catches nan
        return (
            "flat likelihood: standard errors of the log-parameters "
            f"{np.array2string(std_errors, precision=3)}"
        )
    return ""


def _positive_params(model, params, names):
    if all(hasattr(params, name) for name in names):
        values = [getattr(params, name) for name in names]
    else:
        values = list(params)
    if len(values) != len(names):
        raise ValueError(f"{model} parameters must be ({', '.join(names)})")
    out = tuple(float(v) for v in values)
    if not all(np.isfinite(v) and v > 0 for v in out):
        raise ValueError(f"{model} parameters must be finite and > 0, got {out}")
    return out


def _bgnbd_tuple(params):
    return _positive_params("BG/NBD", params, ("r", "alpha", "a", "b"))


def _broadcast_t(t, n):
    t = _checks.non_negative("t", t)
    if t.size not in (1, n):
        raise ValueError(f"t must be a scalar or have one value per customer ({n})")
    return t


def _steps(horizon, discount_rate, time_step):
    """Step ends ``t_i`` and discount factors ``(1 + d) ** -i``, i = 1..k."""
    horizon = _checks.positive_scalar("horizon", horizon)
    time_step = _checks.positive_scalar("time_step", time_step)
    rate = _checks.positive_scalar("discount_rate", discount_rate, allow_zero=True)
    k = int(np.ceil(horizon / time_step * (1 - 1e-12)))
    if k > MAX_STEPS:
        raise ValueError(
            f"horizon / time_step = {horizon / time_step:.6g} steps, at most "
            f"{MAX_STEPS} allowed"
        )
    i = np.arange(1, k + 1, dtype=np.float64)
    return np.minimum(i * time_step, horizon), (1.0 + rate) ** -i


def _population_gap(x, age, horizon, time_step):
    """``G`` of :func:`heuristic_clv`: observed time per repeat purchase."""
    total_time = float(age.sum())
    if x.sum() > 0:
        gap = total_time / float(x.sum())
    else:
        gap = max(total_time, float(horizon))
    return max(gap, float(time_step))


def _mean_order_value(x, m):
    rep = (x > 0) & (m > 0)
    if rep.any():
        return float(x[rep] @ m[rep] / x[rep].sum())
    if (m > 0).any():
        return float(m[m > 0].mean())
    return 0.0


def _finite_or_raise(what, values):
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"{what}: the parameters give non-finite values (numerically "
            "unstable region of the model)"
        )
    return values
