"""A packed 1-bit raster for print output: fast composition and a minimal PNG writer.

Cards are printed at 300 dpi in black and white. Pillow renders the text; composing,
packing and PNG-encoding a whole card through Pillow costs more than signing it, so cards
are assembled here as rows of packed bits (1 = white, as PNG and Pillow's mode "1" store
them) and written as 1-bit greyscale PNG.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from PIL import Image


@dataclass
class PackedBitmap:
    width: int
    height: int
    rows: list[int]  # each row as an int of `stride * 8` bits, most significant = leftmost

    @property
    def stride(self) -> int:
        return (self.width + 7) // 8

    @classmethod
    def blank(cls, width: int, height: int) -> PackedBitmap:
        stride = (width + 7) // 8
        return cls(width, height, [(1 << (stride * 8)) - 1] * height)

    @classmethod
    def from_image(cls, image: Image.Image) -> PackedBitmap:
        img = image if image.mode == "1" else image.convert("1")
        stride = (img.width + 7) // 8
        raw = img.tobytes()
        pad = (1 << (stride * 8 - img.width)) - 1  # padding bits count as white
        rows = [int.from_bytes(raw[r * stride:(r + 1) * stride], "big") | pad
                for r in range(img.height)]
        return cls(img.width, img.height, rows)

    def copy(self) -> PackedBitmap:
        return PackedBitmap(self.width, self.height, list(self.rows))

    def draw(self, other: PackedBitmap, x: int, y: int) -> None:
        """Paint `other`'s black pixels onto this bitmap with its top-left corner at (x, y)."""
        total = self.stride * 8
        shift = total - x - other.stride * 8
        ones = (1 << total) - 1
        for r, row in enumerate(other.rows):
            ty = y + r
            if 0 <= ty < self.height:
                black = ~row & ((1 << (other.stride * 8)) - 1)
                placed = black << shift if shift >= 0 else black >> -shift
                self.rows[ty] &= ones ^ (placed & ones)

    def fill_black(self, x0: int, y0: int, x1: int, y1: int) -> None:
        total = self.stride * 8
        band = ((1 << (x1 - x0)) - 1) << (total - x1)
        for r in range(max(0, y0), min(self.height, y1)):
            self.rows[r] &= ~band

    def to_png(self, *, dpi: int = 300) -> bytes:
        stride = self.stride
        raw = b"".join(b"\x00" + row.to_bytes(stride, "big") for row in self.rows)
        ppm = round(dpi / 0.0254)

        def chunk(kind: bytes, data: bytes) -> bytes:
            return (struct.pack(">I", len(data)) + kind + data
                    + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

        return b"".join([
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", self.width, self.height, 1, 0, 0, 0, 0)),
            chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            chunk(b"IDAT", zlib.compress(raw, 1)),
            chunk(b"IEND", b""),
        ])

    def to_bytes(self) -> bytes:
        """The rows top to bottom, each padded to whole bytes: Pillow's mode "1" layout, and
        the sample layout of a 1-bit PDF image."""
        return b"".join(row.to_bytes(self.stride, "big") for row in self.rows)

    def to_image(self) -> Image.Image:
        return Image.frombytes("1", (self.width, self.height), self.to_bytes())
