"""Maximum likelihood machinery shared by the BG/NBD and Gamma-Gamma fits.

:mod:`.bgnbd` (Fader, Hardie & Lee 2005, "Counting your customers the easy
way: an alternative to the Pareto/NBD model", Marketing Science 24(2)
275-284) and :mod:`.gamma_gamma` (Fader & Hardie 2013, "The Gamma-Gamma
model of monetary value") fit their parameters the same way: the rows of the
customer base are grouped by their sufficient statistics (:func:`_group`,
with validated :func:`_weights`), the mean negative log-likelihood and its
analytic gradient are minimised over the log-parameters with L-BFGS-B
(:func:`_maximise`, from a warm :func:`_start` or the method of moments) and
the fit is trusted only at a well-determined interior maximum: not on the
bounds (:data:`LOG_BOUND`), with a small gradient (:data:`MAX_GRADIENT`) and
a curved likelihood (:func:`_flatness`, :data:`MAX_LOG_STD_ERROR`).
"""

import numpy as np
from scipy import optimize

from . import _checks

#: bound of the log-parameters during the fits (|ln theta| <= 15); a fit that
#: ends on it has no interior maximum and is reported as not converged
LOG_BOUND = 15.0
#: largest gradient of the mean log-likelihood (w.r.t. the log-parameters)
#: accepted at a maximum
MAX_GRADIENT = 1e-5
#: a fit whose log-parameters have a larger standard error is not trusted
MAX_LOG_STD_ERROR = 3.0


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


def _finite_or_raise(what, values):
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"{what}: the parameters give non-finite values (numerically "
            "unstable region of the model)"
        )
    return values
