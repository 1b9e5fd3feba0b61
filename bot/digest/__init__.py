"""Digests: schedules, story folding and rendering, exported here, are pure.

``build_digest(hits, period, tz)`` -> ``Digest``; ``render_html`` / ``render_text`` /
``render_json`` present it; ``parse_schedule`` / ``make_trigger`` / ``previous_fire`` time it.
The async adapters are imported from their modules: ``bot.digest.gather`` (a digest from the
database, for the CLI, ``/digest`` and the scheduler) and ``bot.ops.scheduler`` (the
service's APScheduler jobs).
"""

from bot.digest.build import build_digest
from bot.digest.contents import Digest, DigestHit, DigestOptions, Period, RuleDigest, Story
from bot.digest.render import digest_to_dict, render_html, render_json, render_text
from bot.digest.schedule import (
    Schedule,
    ScheduleError,
    fires_between,
    make_trigger,
    parse_schedule,
    previous_fire,
)
from bot.digest.stories import Fingerprints, fold_stories

__all__ = [
    "Digest",
    "DigestHit",
    "DigestOptions",
    "Fingerprints",
    "Period",
    "RuleDigest",
    "Schedule",
    "ScheduleError",
    "Story",
    "build_digest",
    "digest_to_dict",
    "fires_between",
    "fold_stories",
    "make_trigger",
    "parse_schedule",
    "previous_fire",
    "render_html",
    "render_json",
    "render_text",
]
