"""/search <words>: stored posts containing a form of every word, newest first, five to a page.

Words are normalized like rule terms and expanded to their inflected forms
(``bot.matching.forms``), so ``Курщина`` finds ``на Курщині`` without a second index.

Pages turn with inline buttons. Callback data is limited to 64 bytes, so the query is kept
here under a short token (the most recent searches only); an expired token asks to search
again rather than guessing.
"""

from __future__ import annotations

import html
import secrets
from collections import OrderedDict
from zoneinfo import ZoneInfo

from bot.chat.exchange import BotContext, Button, CommandError, Incoming, Reply, lines
from bot.matching import normalize
from bot.matching.forms import PREFIX, search_forms
from bot.matching.tokens import words as words_of
from bot.text.alerts import MESSAGE_LIMIT
from bot.text.posts import post_item_html
from storage import search as storage_search
from storage import subscribers

PAGE_SIZE = 5
MAX_WORDS = 10
KEPT_SEARCHES = 500
SNIPPET_WIDTH = 160
CALLBACK_PREFIX = "s:"


class SearchPages:
    """Recent searches by token, so a button can ask for page N of the same query."""

    def __init__(self, kept: int = KEPT_SEARCHES) -> None:
        self.kept = kept
        self._queries: OrderedDict[str, tuple[int, tuple[str, ...]]] = OrderedDict()

    def remember(self, chat_id: int, words: tuple[str, ...]) -> str:
        token = secrets.token_hex(4)
        self._queries[token] = (chat_id, words)
        while len(self._queries) > self.kept:
            self._queries.popitem(last=False)
        return token

    def recall(self, token: str, chat_id: int) -> tuple[str, ...] | None:
        found = self._queries.get(token)
        return found[1] if found and found[0] == chat_id else None


def _marked(forms: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """The forms a snippet can mark by plain substring search: prefixes by their stem."""
    return tuple(form.removesuffix(PREFIX) for word in forms for form in word if " " not in form)


def _spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    folded = text.casefold()
    spans: list[tuple[int, int]] = []
    for word in words:
        start = folded.find(word)
        while start >= 0 and len(spans) < 50:
            spans.append((start, start + len(word)))
            start = folded.find(word, start + len(word))
    return spans if len(folded) == len(text) else []


class Search:
    def __init__(self, pages: SearchPages | None = None) -> None:
        self.pages = pages or SearchPages()

    async def command(self, ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
        words = tuple(words_of(normalize(args)))
        if not words:
            raise CommandError("Say what to look for: /search <words>, e.g. /search КНДР Курск")
        if len(words) > MAX_WORDS:
            raise CommandError(f"At most {MAX_WORDS} words in a search.")
        token = self.pages.remember(message.chat.id, words)
        return [await self.page(ctx, message.chat.id, token, words, 0)]

    async def callback(self, ctx: BotContext, chat_id: int, data: str) -> Reply:
        token, _, number = data.removeprefix(CALLBACK_PREFIX).partition(":")
        words = self.pages.recall(token, chat_id)
        if words is None or not (number.isascii() and number.isdigit()):
            return Reply.text("This search has expired; send /search again.")
        return await self.page(ctx, chat_id, token, words, int(number))

    async def page(
        self, ctx: BotContext, chat_id: int, token: str, words: tuple[str, ...], number: int
    ) -> Reply:
        forms = tuple(search_forms(word) for word in words)
        found, more = await storage_search.search(
            ctx.db, forms, offset=number * PAGE_SIZE, limit=PAGE_SIZE
        )
        query = html.escape(" ".join(words))
        if not found:
            return Reply(f"Nothing stored matches <b>{query}</b>." if number == 0 else "No more.")
        subscriber = await subscribers.get(ctx.db, chat_id)
        zone = ZoneInfo(subscriber.timezone) if subscriber and subscriber.timezone else ctx.zone
        nav = []
        if number > 0:
            nav.append(Button("◀ Newer", f"{CALLBACK_PREFIX}{token}:{number - 1}"))
        if more:
            nav.append(Button("Older ▶", f"{CALLBACK_PREFIX}{token}:{number + 1}"))
        marked = _marked(forms)
        width = SNIPPET_WIDTH
        while True:  # hostile posts (all '&' or '<') escape to five times their length
            items = "\n\n".join(
                post_item_html(f, _spans(f.text, marked), zone, width) for f in found
            )
            body = lines(f"🔎 <b>{query}</b> — page {number + 1}", "", items)
            if len(body) <= MESSAGE_LIMIT or width <= 20:
                return Reply(body, (tuple(nav),) if nav else ())
            width //= 2
