"""Destination URLs: which kind of sender a URL needs, and its ``${VARIABLE}`` secrets.

Tokens live in the environment (or ``.env``), never in the watchlist, the database, an
export or ``status``: a URL names them as ``${SLACK_TOKEN}`` and they are put in only when a
message is sent. So a URL with a literal password (``user:pass@``) or a credential-looking
query parameter (``?token=…``) is refused with a hint to move the value to a variable.

``http://`` and ``https://`` URLs are chanwatch's own JSON webhook; every other scheme
(``ntfy://``, ``ntfys://``, ``matrix://``, ``slack://``, ``discord://``, ``mailto://``,
``json://`` …) is handed to Apprise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from bot.errors import ChanwatchError

Kind = Literal["webhook", "apprise"]
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_CREDENTIAL_PARAM = re.compile(r"token|secret|pass|key|auth|sig|pwd", re.IGNORECASE)


class DestinationUrlError(ChanwatchError):
    """A URL that cannot be used as written."""


@dataclass(frozen=True, slots=True)
class Expanded:
    """A URL ready to send to, and the secret values it holds (to keep out of every log)."""

    url: str
    secrets: tuple[str, ...]


def kind_of(url: str) -> Kind:
    return "webhook" if scheme_of(url) in ("http", "https") else "apprise"


def scheme_of(url: str) -> str:
    found = _SCHEME.match(url.strip())
    if found is None:
        raise DestinationUrlError(
            f"{shown(url)} is not a URL: start it with a scheme, e.g. https://, ntfy://, slack://"
        )
    return found[1].lower()


def references(url: str) -> tuple[str, ...]:
    """The variables a URL names, in order of first use."""
    return tuple(dict.fromkeys(_REFERENCE.findall(url)))


def shown(url: str) -> str:
    """The URL as it may be shown anywhere: as written, since secrets are only references."""
    return url if len(url) <= 200 else url[:199] + "…"


def check_literal_secrets(url: str) -> None:
    """Refuse a password or a credential parameter written into the URL itself."""
    parts = urlsplit(url)
    if parts.password and not _REFERENCE.fullmatch(parts.password):
        raise DestinationUrlError(
            "the URL holds a password: write it as ${VARIABLE} and set the variable in the"
            " environment or .env (e.g. ntfys://alerts:${NTFY_PASSWORD}@ntfy.example.org/osint)"
        )
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if _CREDENTIAL_PARAM.search(name) and value and not _REFERENCE.fullmatch(value):
            raise DestinationUrlError(
                f"the URL's {name}= parameter looks like a secret: write it as ${{VARIABLE}}"
                " and set the variable in the environment or .env"
            )


def missing(url: str, environ: Mapping[str, str]) -> list[str]:
    return [name for name in references(url) if not environ.get(name)]


def expand(url: str, environ: Mapping[str, str]) -> Expanded:
    """Put the variables' values in; a variable not set is an error naming it."""
    absent = missing(url, environ)
    if absent:
        raise DestinationUrlError(
            f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not set"
            " (the destination URL needs it: set it in the environment or .env)"
        )
    values = tuple(environ[name] for name in references(url))
    return Expanded(_REFERENCE.sub(lambda m: environ[m[1]], url), values)
