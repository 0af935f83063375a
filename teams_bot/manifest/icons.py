"""PNG checks without an imaging library: size from IHDR, and "white on transparent" for 8-bit
RGBA / grey+alpha images (the formats icon tools write)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
_ALPHA_CHANNELS = {4: 2, 6: 4}  # colour type -> channels, for types with an alpha channel
_NEAR_WHITE = 0xF0


class PngError(ValueError):
    """Not a PNG this module can read."""


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    bit_depth: int
    color_type: int
    interlaced: bool
    has_trns: bool
    idat: bytes


def read_png(data: bytes) -> Png:
    """Header fields and the concatenated image data; PngError if `data` is no PNG."""
    if not data.startswith(PNG_SIGNATURE):
        raise PngError("not a PNG file")
    chunks = dict[bytes, list[bytes]]()
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunks.setdefault(kind, []).append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    header = chunks.get(b"IHDR", [b""])[0]
    if len(header) != 13:
        raise PngError("PNG has no valid IHDR chunk")
    width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", header)
    return Png(
        width,
        height,
        depth,
        ctype,
        interlace == 1,
        b"tRNS" in chunks,
        b"".join(chunks.get(b"IDAT", [])),
    )


def icon_problems(data: bytes, size: int, *, outline: bool) -> list[str]:
    """What is wrong with an icon that should be `size`x`size` (and white on transparent)."""
    try:
        png = read_png(data)
    except PngError as exc:
        return [str(exc)]
    problems = []
    if (png.width, png.height) != (size, size):
        problems.append(f"is {png.width}x{png.height}, must be {size}x{size}")
    if outline:
        problems += _outline_problems(png)
    return problems


def _outline_problems(png: Png) -> list[str]:
    channels = _ALPHA_CHANNELS.get(png.color_type)
    if channels is None:
        return (
            [] if png.has_trns else ["has no transparency (outline must be white on transparent)"]
        )
    if png.bit_depth != 8 or png.interlaced:
        return []  # readable by Teams, just not by this checker
    try:
        rows = _unfilter(zlib.decompress(png.idat), png.width, png.height, channels)
    except (zlib.error, PngError) as exc:
        return [f"image data is corrupt ({exc})"]
    for row in rows:
        for x in range(0, len(row), channels):
            colour, alpha = row[x : x + channels - 1], row[x + channels - 1]
            if alpha and min(colour) < _NEAR_WHITE:
                return ["has non-white pixels (outline must be white on transparent)"]
    if not any(row[x + channels - 1] == 0 for row in rows for x in range(0, len(row), channels)):
        return ["has no transparent pixels (outline must be white on transparent)"]
    return []


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytes]:
    """Undo PNG scanline filters (8-bit samples, `bpp` bytes per pixel)."""
    stride = width * bpp
    if len(raw) < height * (stride + 1):
        raise PngError("truncated image data")
    rows: list[bytes] = []
    prior = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prior[i], prior[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + _predict(kind, left, up, corner)) & 0xFF
        rows.append(bytes(line))
        prior = line
    return rows


def _predict(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    if kind == 4:
        p = left + up - corner
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
        return left if pa <= pb and pa <= pc else up if pb <= pc else corner
    raise PngError(f"unknown filter type {kind}")
