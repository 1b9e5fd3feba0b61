"""When one story reaches several channels within a short time (pure).

A story is the digest's folded story (``bot.digest.stories.fold_stories``: forwards, exact
and near copies of one claim). It is corroborated once ``channels`` distinct channels carried
it within ``window`` of each other: counted by each channel's first post of it, so a channel
repeating itself counts once, and a story trickling through a channel a day never qualifies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.digest.contents import DigestHit, Story


@dataclass(frozen=True, slots=True)
class CorroborationOptions:
    channels: int = 3
    window: timedelta = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class Corroboration:
    """A qualifying story: the first channel's post, then each other channel's first, as far
    as the story has spread by now."""

    story: Story
    first: DigestHit
    others: tuple[DigestHit, ...]
    reached: datetime  # when the last of the qualifying channels posted it

    @property
    def spread(self) -> timedelta:
        return (self.others[-1].date if self.others else self.first.date) - self.first.date


def corroborated(stories: Sequence[Story], options: CorroborationOptions) -> list[Corroboration]:
    """The stories that reached ``options.channels`` channels within ``options.window``.

    Named from the story's very first post, with every channel that carried it so far: the
    ones before the qualifying run and after it are part of what the subscriber hears.
    """
    found = []
    for story in stories:
        firsts = sorted(story.channels, key=lambda h: (h.date, h.channel_id, h.message_id))
        need = options.channels
        for last in range(need - 1, len(firsts)):
            if firsts[last].date - firsts[last - need + 1].date <= options.window:
                found.append(Corroboration(story, firsts[0], tuple(firsts[1:]), firsts[last].date))
                break
    return found
