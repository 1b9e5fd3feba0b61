"""Telegram HTML as a test checks it."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Balance(HTMLParser):
    """Checks every tag closes in order (Telegram rejects a message that ends inside one)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack.pop() == tag


def balanced(body: str) -> bool:
    parser = _Balance()
    parser.feed(body)
    parser.close()
    return not parser.stack and not re.search(r"<[^>]*$", body)
