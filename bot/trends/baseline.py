"""What a rule's count would be in a window, learned from the same hours of earlier weeks.

Channels have a weekly rhythm (quiet nights, slower weekends), so the prediction for
Tuesday 14:00–16:00 comes from Tuesdays 13:00–17:00 of up to ``WEEKS`` earlier weeks (an hour
either side, so a rule with a few hits a day is not judged by one empty slot). It is robust
to the past: the busiest of those weeks is left out when three or more are known, so last
week's surge does not hide this week's, and the slot is pulled toward the rule's overall
hourly level (``PRIOR_WEEKS`` weeks' worth), so one odd week does not decide alone. With
less than a week of history the overall level over what is known is the prediction; with
less than ``MIN_HISTORY`` there is none.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta

from bot.trends.series import BUCKET, PER_HOUR, PER_WEEK

WEEKS = 4
PRIOR_WEEKS = 0.5
SPREAD = PER_HOUR  # buckets either side of the slot: one hour
MIN_HISTORY = timedelta(days=1)
_MIN_BUCKETS = int(MIN_HISTORY / BUCKET)
# Even a rule silent for weeks predicts a little: five hits out of nowhere is still news.
FLOOR_PER_BUCKET = 1 / (7 * 24 * PER_HOUR)
MAX_CLUSTERING = 10.0


def clustering(squares: Sequence[int], totals: Sequence[int], first: int) -> float:
    """How many hits one post brings along, as the variance of counts over their mean.

    Posts come in clusters (a repost or two within minutes), which makes counts vary more
    than independent hits would, whatever the rate. Estimated from successive differences
    of the buckets before ``first`` (``squares`` are prefix sums of the squared differences
    of neighbours, ``successive_squares``): a slow change of level, a busy day, cancels out
    between neighbours, so only the short-range clumping is left. At least 1 (no clumping).
    """
    since = max(0, first - WEEKS * PER_WEEK)
    hits = totals[first] - totals[since]
    if first - since < 2 or hits == 0:
        return 1.0
    return min(MAX_CLUSTERING, max(1.0, (squares[first - 1] - squares[since]) / (2 * hits)))


def successive_squares(counts: Sequence[int]) -> list[int]:
    """Prefix sums of ``(counts[i+1] - counts[i])**2``, for :func:`clustering`."""
    out = [0]
    for a, b in itertools.pairwise(counts):
        out.append(out[-1] + (b - a) ** 2)
    return out


def expected(counts: Sequence[int], totals: Sequence[int], first: int, width: int) -> float | None:
    """The predicted count of buckets ``first .. first+width-1`` from the buckets before them.

    ``totals`` are the prefix sums of ``counts`` (``series.totals``); ``None`` when fewer
    than ``MIN_HISTORY`` of history precede the window.
    """
    if first < _MIN_BUCKETS:
        return None
    since = max(0, first - WEEKS * PER_WEEK)
    overall = width * max((totals[first] - totals[since]) / (first - since), FLOOR_PER_BUCKET)
    weeks: list[float] = []
    for back in range(1, WEEKS + 1):
        low = first - back * PER_WEEK - SPREAD
        if low < 0:
            break
        high = first - back * PER_WEEK + width + SPREAD
        weeks.append((totals[high] - totals[low]) * width / (width + 2 * SPREAD))
    if not weeks:
        return overall
    if len(weeks) >= 3:
        weeks.remove(max(weeks))
    mean = sum(weeks) / len(weeks)
    blended = (len(weeks) * mean + PRIOR_WEEKS * overall) / (len(weeks) + PRIOR_WEEKS)
    return max(blended, width * FLOOR_PER_BUCKET)
