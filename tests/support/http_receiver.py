"""A real HTTP server on 127.0.0.1 for destination tests: a webhook receiver, or what
Apprise's ``json://`` posts to. It records every request and answers as the test scripts it
(a status, extra headers), and can hold one request unanswered (a send in flight, for a
SIGKILL) until released.

Runs in its own thread, so the service under test talks to it over a real socket, from the
event loop or from Apprise's worker thread alike.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, dict[str, str]]
Script = Callable[[int, Received], Answer]  # (0-based request number, request) -> answer


def always_ok(_: int, __: Received) -> Answer:
    return 200, {}


@dataclass
class Receiver:
    port: int
    script: Script = always_ok
    received: list[Received] = field(default_factory=list)
    hold_at: int | None = None  # this request (0-based) waits for `release`
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def bodies(self) -> list[Any]:
        with self.lock:
            return [r.json() for r in self.received]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            request = Received(
                self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
            )
            with receiver.lock:
                number = len(receiver.received)
                receiver.received.append(request)
            if number == receiver.hold_at:
                receiver.held.set()
                receiver.release.wait(60)
            status, headers = receiver.script(number, request)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            return None

    return Handler


@contextmanager
def receiver(script: Script = always_ok) -> Iterator[Receiver]:
    found = Receiver(0, script)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    server.daemon_threads = True
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        found.release.set()
        server.shutdown()
        server.server_close()
