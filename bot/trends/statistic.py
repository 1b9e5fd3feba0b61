"""How surprising a window's count is, given the count its baseline predicts.

The statistic is a negative-binomial upper tail: the probability of seeing at least the
window's count if hits arrived at the baseline's rate with the day-to-day variation real
channels have (variance ``mean + DISPERSION * mean**2``). A plain Poisson tail assumes every
quarter hour is independent; news is not — a busy day is busy in every hour — and on the
simulated quiet month it raised several false surges per month for busy rules, where the
negative binomial raises about none at the same threshold (figures in README and
``bench/surges.py``).
"""

from __future__ import annotations

import math

# Variance = mean + DISPERSION * mean²: a day's level varying by ~40% around its usual one.
DISPERSION = 0.15
_TAIL_TERMS = 100_000
_EPSILON = 1e-16


def tail(
    observed: float, mean: float, dispersion: float = DISPERSION, clustering: float = 1.0
) -> float:
    """P(X >= observed) for a count with this mean (negative binomial; Poisson at 0).

    ``clustering`` (hits per post, ``baseline.clustering``) scales the count to posts: with
    variance ``clustering * mean + dispersion * mean**2``, ``X / clustering`` is negative
    binomial with mean ``mean / clustering`` and the same dispersion.
    """
    observed, mean = observed / clustering, mean / clustering
    if observed <= 0:
        return 1.0
    mean = max(mean, 1e-9)
    if dispersion <= 0:
        log_first = -mean + observed * math.log(mean) - math.lgamma(observed + 1)

        def ratio(k: float) -> float:
            return mean / (k + 1)

    else:
        size = 1 / dispersion
        p = mean / (mean + size)
        log_first = (
            math.lgamma(observed + size)
            - math.lgamma(size)
            - math.lgamma(observed + 1)
            + size * math.log1p(-p)
            + observed * math.log(p)
        )

        def ratio(k: float) -> float:
            return (k + size) / (k + 1) * p

    # Summed from the observed count upwards: 1 - cdf loses the tiny tails that matter here.
    term = math.exp(log_first)
    total = term
    k = observed
    while term > total * _EPSILON and k < observed + _TAIL_TERMS:
        term *= ratio(k)
        total += term
        k += 1
    return min(total, 1.0)
