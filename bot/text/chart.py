"""A rule's last 48 hours as a small PNG bar chart, for the surge alert (pure).

No plotting library: the chart is 48 bars, a line for the usual pace and the surge window
shaded, so it is drawn pixel by pixel and encoded with the standard library's ``zlib``.
matplotlib would be ~40 MB installed and half a second to import for the same picture; Pillow
~10 MB. The numbers are in the caption (the alert's text), so the picture carries no text and
needs no fonts.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

WIDTH, HEIGHT = 480, 160
_MARGIN = 8
_BACKGROUND = (255, 255, 255)
_BAR = (120, 144, 170)
_SURGE = (214, 69, 65)
_USUAL = (40, 40, 40)
_SHADE = (253, 236, 234)
_BASE = (200, 200, 200)

Colour = tuple[int, int, int]


def surge_chart(hourly: Sequence[int], usual: Sequence[float], surge_hours: int) -> bytes:
    """PNG bytes: one bar an hour (the last ``surge_hours`` in red on a shaded band), and the
    usual count per hour as a dark line. ``usual`` is aligned with ``hourly``'s end."""
    bars = list(hourly)[-48:] or [0]
    line = list(usual)[-len(bars) :]
    top = max([*bars, *line, 1])
    pixels = [[_BACKGROUND] * WIDTH for _ in range(HEIGHT)]
    inner_w, inner_h = WIDTH - 2 * _MARGIN, HEIGHT - 2 * _MARGIN
    step = inner_w / len(bars)
    floor = HEIGHT - _MARGIN
    first_surge = len(bars) - surge_hours
    for i, count in enumerate(bars):
        left, right = _MARGIN + round(i * step), _MARGIN + round((i + 1) * step) - 1
        if i >= first_surge:
            _fill(pixels, left, right + 1, _MARGIN, floor, _SHADE)
        height = round(count / top * inner_h)
        colour = _SURGE if i >= first_surge else _BAR
        _fill(pixels, left + 1, right, floor - height, floor, colour)
    _fill(pixels, _MARGIN, WIDTH - _MARGIN, floor, floor + 1, _BASE)
    offset = len(bars) - len(line)
    for i, value in enumerate(line):
        left = _MARGIN + round((i + offset) * step)
        right = _MARGIN + round((i + offset + 1) * step)
        y = floor - round(value / top * inner_h)
        _fill(pixels, left, right, max(_MARGIN, y - 1), y + 1, _USUAL)
    return encode_png(pixels)


def _fill(pixels: list[list[Colour]], x0: int, x1: int, y0: int, y1: int, c: Colour) -> None:
    for y in range(max(0, y0), min(HEIGHT, y1)):
        row = pixels[y]
        for x in range(max(0, x0), min(WIDTH, x1)):
            row[x] = c


def encode_png(pixels: Sequence[Sequence[Colour]]) -> bytes:
    """An 8-bit RGB PNG of the rows (all the same width)."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
