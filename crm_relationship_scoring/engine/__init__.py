"""Pure scoring engine of crm_relationship_scoring.

numpy arrays in, numpy arrays out; no Odoo import and no I/O, so that the
package can be loaded by path and tested with plain pytest.  The modules use
only numpy, scipy.special and scipy.optimize, and import each other
relatively:

* :mod:`.rfm`: RFM scores (mid-rank quantile bins) and segments;
* :mod:`.clv`: BG/NBD + Gamma-Gamma customer lifetime value with a heuristic
  fallback (:func:`.clv.score_customers` is the entry point; it re-exports
  the models' public API);
* :mod:`.bgnbd` and :mod:`.gamma_gamma`: the BG/NBD and Gamma-Gamma models
  (fits, P(alive), expected purchases and spend), fitted with the shared
  maximum likelihood helpers of :mod:`._fit`;
* :mod:`.churn`: churn risk, risk levels and the "save first" priority;
* :mod:`.health`: health score, 1-5 rescaling of the RFM scores and the
  valuable customers at risk;
* :mod:`.next_order`: the expected date of the next order (median and
  interval, given alive) and whether it is overdue;
* :mod:`.loyalty`: the six loyalty factors, the loyalty index and ladder,
  and the satisfaction x loyalty quadrants;
* :mod:`.calibration`: the holdout check of a run (fit without the last
  days, predicted against actual purchases by frequency bucket);
* :mod:`.facts`: every per-customer figure of a night from the order facts
  (scoring window, holdout check, order statistics of the stage rules), and
  the decoder of their binary ``COPY``;
* :mod:`.affinity`: products bought together (support, confidence, lift) and
  the products suggested to each customer.
"""

from . import (
    affinity,
    bgnbd,
    calibration,
    churn,
    clv,
    facts,
    gamma_gamma,
    health,
    loyalty,
    next_order,
    rfm,
)

ENGINE_VERSION = "1"

__all__ = [
    "ENGINE_VERSION",
    "affinity",
    "bgnbd",
    "calibration",
    "churn",
    "clv",
    "facts",
    "gamma_gamma",
    "health",
    "loyalty",
    "next_order",
    "rfm",
]
