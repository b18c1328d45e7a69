"""Print products: A4 sheets of cards with cut marks, and the passport booklet (PDF)."""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import BinaryIO

import segno
from PIL import Image, ImageOps

from passport import card
from passport.bitmap import PackedBitmap
from passport.card import AWARD_NAMES, CardFace, text_bitmap
from passport.credential import Credential, Kind
from passport.errors import UsageError

DPI = 300
A4 = (2480, 3508)
A5 = (1748, 2480)
SHEET_COLUMNS, SHEET_ROWS = 2, 5  # 10 ID-1 cards on an A4 page
PER_SHEET = SHEET_COLUMNS * SHEET_ROWS
CUT_MARK = 60
_GRID_W, _GRID_H = SHEET_COLUMNS * card.WIDTH, SHEET_ROWS * card.HEIGHT
_LEFT, _TOP = (A4[0] - _GRID_W) // 2, (A4[1] - _GRID_H) // 2


def _blank_sheet() -> PackedBitmap:
    """An A4 page with cut marks in the margins at every cut line, full or not."""
    page = PackedBitmap.blank(*A4)
    for c in range(SHEET_COLUMNS + 1):
        x = _LEFT + c * card.WIDTH
        page.fill_black(x - 1, _TOP - CUT_MARK - 20, x + 1, _TOP - 20)
        page.fill_black(x - 1, _TOP + _GRID_H + 20, x + 1, _TOP + _GRID_H + CUT_MARK + 20)
    for r in range(SHEET_ROWS + 1):
        y = _TOP + r * card.HEIGHT
        page.fill_black(_LEFT - CUT_MARK - 20, y - 1, _LEFT - 20, y + 1)
        page.fill_black(_LEFT + _GRID_W + 20, y - 1, _LEFT + _GRID_W + CUT_MARK + 20, y + 1)
    return page


def _place(page: PackedBitmap, slot: int, face: PackedBitmap) -> None:
    """Card number `slot` (0-based, row by row) edge to edge in the grid."""
    if (face.width, face.height) != (card.WIDTH, card.HEIGHT):
        # A card of another size would overlap its neighbours or leave gaps at the cut lines.
        raise UsageError(f"a sheet takes {card.WIDTH}x{card.HEIGHT} cards, "
                         f"not {face.width}x{face.height}")
    col, row = slot % SHEET_COLUMNS, slot // SHEET_COLUMNS
    page.draw(face, _LEFT + col * card.WIDTH, _TOP + row * card.HEIGHT)


def sheet_pages(cards: Sequence[PackedBitmap]) -> list[PackedBitmap]:
    """Cards edge to edge on A4 pages, with cut marks in the margins at every cut line.

    Every page is held in memory; a large batch goes through `SheetWriter` instead."""
    pages = []
    for start in range(0, len(cards), PER_SHEET):
        page = _blank_sheet()
        for slot, face in enumerate(cards[start:start + PER_SHEET]):
            _place(page, slot, face)
        pages.append(page)
    return pages


# Page images are Flate over the packed rows, not CCITT G4: on an A4 sheet of 10 real cards
# Flate (level 6) gives 69 KB in 13 ms; Pillow's G4 gives 77 KB in 30-60 ms, through an
# unpacked 8.7 MB mode "1" image and a TIFF the strip must be cut out of. QR modules are
# several pixels square, so rows repeat exactly and zlib codes a repeated row in a few
# bytes, while G4 still pays for every black/white edge. Level 9 saves 6% more for 5 times
# the time; level 1 costs 18% in size.
_FLATE_LEVEL = 6


def _number(value: float) -> str:
    """A PDF real: no exponent, no trailing zeros (595.2, not 595.2000 or 5.952e2)."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


class PdfWriter:
    """A PDF 1.4 written page by page: one 1-bit image per page, page size = image at `dpi`.

    Each page goes to `out` as soon as it is added; the writer keeps only the byte offset of
    each object, for the cross-reference table. Offsets are counted from the writer's first
    byte, so `out` must be at the start of the file, but need not be seekable. `out` is
    not closed. An abandoned writer (an exception inside `with`) writes no trailer, so an
    interrupted job never looks like a complete document.
    """

    _CATALOG, _PAGES = 1, 2  # written last, numbered first: every page names its parent

    def __init__(self, out: BinaryIO, *, dpi: int = DPI) -> None:
        if dpi <= 0:
            raise UsageError(f"dpi must be positive, not {dpi}")
        self._out = out
        self._dpi = dpi
        self._written = 0
        self._offsets = [0, 0]  # of objects 1, 2, 3, ...; the first two are filled by close()
        self._closed = False

    def __enter__(self) -> PdfWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self._closed = True
        elif not self._closed:
            self.close()

    @property
    def pages(self) -> int:
        return (len(self._offsets) - 2) // 3

    def add_page(self, page: PackedBitmap) -> None:
        if self._closed:
            raise UsageError("the PDF is already closed; no page can be added")
        if page.width < 1 or page.height < 1:
            raise UsageError(f"a PDF page needs at least one pixel, not {page.width}x{page.height}")
        if not self._written:
            # The comment of high bytes tells transfer tools the file is binary.
            self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        image = len(self._offsets) + 1
        samples = zlib.compress(page.to_bytes(), _FLATE_LEVEL)
        self._object(image, b"<< /Type /XObject /Subtype /Image /Width %d /Height %d "
                            b"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode "
                            b"/Length %d >>" % (page.width, page.height, len(samples)), samples)
        # 1 = white in our bitmaps and in DeviceGray alike, so no /Decode inversion is needed.
        w = _number(page.width * 72 / self._dpi).encode()
        h = _number(page.height * 72 / self._dpi).encode()
        content = b"q %s 0 0 %s 0 0 cm /Im0 Do Q" % (w, h)
        self._object(image + 1, b"<< /Length %d >>" % len(content), content)
        self._object(image + 2, b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] "
                                b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                     % (self._PAGES, w, h, image, image + 1))

    def close(self) -> None:
        """Write the page tree, catalog, cross-reference table and trailer."""
        if self._closed:
            raise UsageError("the PDF is already closed")
        self._closed = True
        if not self.pages:
            raise UsageError("nothing to print: a PDF needs at least one page")
        kids = b" ".join(b"%d 0 R" % (n + 2) for n in range(3, len(self._offsets) + 1, 3))
        self._object(self._PAGES, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, self.pages))
        self._object(self._CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % self._PAGES)
        xref = self._written
        # Fixed 20-byte entries ("offset generation n", space, newline), object 0 is free.
        entries = b"".join(b"%010d 00000 n \n" % offset for offset in self._offsets)
        self._write(b"xref\n0 %d\n0000000000 65535 f \n%s" % (len(self._offsets) + 1, entries))
        self._write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                    % (len(self._offsets) + 1, self._CATALOG, xref))

    def _object(self, number: int, head: bytes, stream: bytes | None = None) -> None:
        if number > len(self._offsets):
            self._offsets.append(self._written)
        else:
            self._offsets[number - 1] = self._written
        self._write(b"%d 0 obj\n%s\n" % (number, head))
        if stream is not None:
            self._write(b"stream\n")
            self._write(stream)
            self._write(b"\nendstream\n")
        self._write(b"endobj\n")

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._written += len(data)


class SheetWriter:
    """Cards onto A4 sheet pages (same layout and cut marks as `sheet_pages`), one page in memory.

    A page goes to the PDF as soon as its 10th card is placed; `close()` sends the last,
    partial one. The PDF itself stays open (the caller may add other pages, and closes it).
    """

    def __init__(self, pdf: PdfWriter) -> None:
        self._pdf = pdf
        self._page: PackedBitmap | None = None
        self._slot = 0
        self._pages = 0
        self._closed = False

    def add(self, card: PackedBitmap) -> None:
        if self._closed:
            raise UsageError("the sheet is already closed; no card can be added")
        # A refused card must not leave a fresh blank page behind to be flushed by close().
        page = self._page if self._page is not None else _blank_sheet()
        _place(page, self._slot, card)
        self._page = page
        self._slot += 1
        if self._slot == PER_SHEET:
            self._flush()

    def close(self) -> int:
        """Send the last partial page; the number of pages written. The PDF stays open."""
        if self._closed:
            raise UsageError("the sheet is already closed")
        self._closed = True
        if self._page is not None:
            self._flush()
        return self._pages

    def _flush(self) -> None:
        assert self._page is not None
        self._pdf.add_page(self._page)
        self._page, self._slot = None, 0
        self._pages += 1


def pdf(pages: Sequence[PackedBitmap]) -> bytes:
    """A PDF with one 1-bit page image per bitmap; refuses an empty list (`UsageError`)."""
    buf = io.BytesIO()
    with PdfWriter(buf) as writer:
        for page in pages:
            writer.add_page(page)
    return buf.getvalue()


@dataclass(frozen=True)
class BookletEntry:
    credential: Credential
    qr_text: str
    issuer: tuple[str, str]  # English, Khmer
    unit_titles: Mapping[str, tuple[str, str]]  # unit code -> (English, Khmer), when known


@dataclass(frozen=True)
class HolderLink:
    """A one-time link the holder's phone opens to keep the passport on it."""

    url: str
    expires: date


LINK_QR = 380  # the cover's link QR: a phone camera reads it from a hand's length
_FOOTER = 330  # the cover's footer: from this far above the bottom edge


def link_qr(text: str, box: int = LINK_QR) -> PackedBitmap:
    """Any text (a URL: lower case, '#') as a QR symbol with its quiet zone, at whole pixels
    per module. Credential QR codes use `card.qr_bitmap`, which takes their alphanumeric
    text only."""
    symbol = segno.make_qr(text, error="m")
    modules = symbol.symbol_size(scale=1, border=4)[0]
    scale = max(1, box // modules)
    buf = io.BytesIO()
    symbol.save(buf, kind="png", scale=scale, border=4)
    buf.seek(0)
    with Image.open(buf) as image:
        return PackedBitmap.from_image(image.convert("1"))


def _link_block(page: _Page, link: HolderLink, top: int) -> None:
    """The link's QR at the right edge from `top`, its caption (Khmer, then English) left
    of it."""
    qr = link_qr(link.url)
    page.bitmap.draw(qr, A5[0] - page.margin - qr.width + 30, top)  # the quiet zone overhangs
    until = link.expires.isoformat()
    width = page.width - qr.width
    y = top + 30
    for text, gap in (("ស្កេនដោយទូរស័ព្ទរបស់អ្នក", 8),
                      ("ដើម្បីរក្សាលិខិតឆ្លងដែននេះនៅលើវា។", 8),
                      (f"ប្រើបានតែម្តង រហូតដល់ {until}។", 30),
                      ("Scan with your phone to keep", 8),
                      ("this passport on it.", 8),
                      (f"One use, until {until}.", 8)):
        caption = text_bitmap(text, 30, "Regular", max_width=width)
        page.bitmap.draw(caption, page.margin, y)
        y += caption.height + gap


class _Page:
    def __init__(self, size: tuple[int, int], margin: int = 120) -> None:
        self.bitmap = PackedBitmap.blank(*size)
        self.margin = margin
        self.y = margin
        self.width = size[0] - 2 * margin

    def line(self, text: str, size: int, weight: str = "Regular", gap: int = 14,
             indent: int = 0) -> None:
        bitmap = text_bitmap(text, size, weight, max_width=self.width - indent)
        self.bitmap.draw(bitmap, self.margin + indent, self.y)
        self.y += bitmap.height + gap

    def rule(self, gap: int = 30) -> None:
        self.bitmap.fill_black(self.margin, self.y, self.margin + self.width, self.y + 3)
        self.y += gap


def booklet_pages(entries: Sequence[BookletEntry], *, printed: date,
                  photo: Image.Image | None = None,
                  link: HolderLink | None = None) -> list[PackedBitmap]:
    """The cover, then a page per credential. `link`: printed on the cover above its footer
    (on a page of its own after the cover when the list of credentials leaves no room)."""
    holder = entries[0].credential.holder
    cover = _Page(A5)
    cover.y = 200
    # Khmer first: the holder and most readers at home read it first; English follows.
    cover.line("លិខិតឆ្លងដែនជំនាញ", 60, "Bold", gap=10)
    cover.line("SKILLS PASSPORT", 56, "Bold", gap=60)
    if photo is not None:
        portrait = ImageOps.fit(photo.convert("L"), (360, 450)).convert("1")
        cover.bitmap.draw(PackedBitmap.from_image(portrait), cover.margin, cover.y)
        cover.y += 450 + 40
    cover.line(holder.name_km, 60, "Bold")
    cover.line(holder.name.upper(), 48, "Bold")
    cover.line(f"Born {holder.birth_year}  ·  National ID …{holder.national_id_last4}", 32,
               gap=50)
    cover.rule()
    cover.line(f"Credentials in this passport: {len(entries)}", 32, "SemiBold")
    for e in entries:
        a = e.credential.achievement
        cover.line(f"{a.name_km}", 30, indent=30, gap=4)
        cover.line(f"{a.name}  ·  {AWARD_NAMES[a.type][1]}", 28, indent=30)
    pages: list[PackedBitmap] = []
    if link is not None:
        top = A5[1] - _FOOTER - LINK_QR - 20
        if cover.y + 20 <= top:
            _link_block(cover, link, top)
        else:
            own = _Page(A5)
            own.line("លិខិតឆ្លងដែនជំនាញ  ·  SKILLS PASSPORT", 40, "Bold", gap=40)
            _link_block(own, link, own.y)
            pages.append(own.bitmap)
    cover.y = A5[1] - _FOOTER
    cover.rule()
    cover.line("ទំព័រនីមួយៗមានកូដ QR ដែលបានចុះហត្ថលេខា អាចផ្ទៀងផ្ទាត់ដោយគ្មានអ៊ីនធឺណិត", 26, gap=6)
    cover.line(f"Printed {printed.isoformat()}. Each page carries a signed QR code.", 26, gap=6)
    cover.line("Any Skills Passport verifier checks it with no network.", 26, gap=6)
    return [cover.bitmap, *pages] + [_credential_page(e) for e in entries]


def _credential_page(entry: BookletEntry) -> PackedBitmap:
    cred = entry.credential
    a = cred.achievement
    page = _Page(A5)
    page.line(a.name_km, 52, "Bold", gap=8)
    page.line(a.name, 40, "Bold")
    award_km, award = AWARD_NAMES[a.type]
    page.line(f"{award_km}  ·  {award}  ·  {a.level.name}  ·  ISCO-08 {a.occupation.code}", 28)
    page.line(a.occupation.name, 28, gap=30)
    page.rule()
    page.line(f"{cred.holder.name_km}  ·  {cred.holder.name}", 34, "SemiBold")
    page.line(f"Born {cred.holder.birth_year}  ·  National ID …{cred.holder.national_id_last4}",
              28)
    page.line(f"Issued by {entry.issuer[0]}", 28, gap=6)
    page.line(entry.issuer[1], 28)
    page.line(f"Issued {cred.valid_from.date().isoformat()}  ·  No. {cred.id.rsplit(':', 1)[1]}",
              28, gap=30)
    page.rule()
    if cred.kind is Kind.RPL:
        page.line("Units judged competent  ·  ឯកតាដែលមានសមត្ថភាព", 30, "SemiBold")
        for r in cred.results:
            en, km = entry.unit_titles.get(r.unit, ("", ""))
            page.line(f"{r.unit}  {en}".rstrip(), 26, indent=20, gap=2)
            if km:
                page.line(km, 26, indent=20, gap=10)
    else:
        start = cred.activity_start.date().isoformat() if cred.activity_start else "?"
        end = cred.activity_end.date().isoformat() if cred.activity_end else "?"
        page.line(f"Course of {a.learning_hours} hours, {start} to {end}", 30)
    qr = card.qr_bitmap(entry.qr_text, 760)
    qr_top = A5[1] - qr.height - 150
    page.bitmap.draw(qr, (A5[0] - qr.width) // 2, qr_top)
    hint = text_bitmap("ស្កេនដើម្បីផ្ទៀងផ្ទាត់ក្រៅបណ្តាញ  ·  Scan to verify offline", 28,
                       max_width=page.width)
    page.bitmap.draw(hint, (A5[0] - hint.width) // 2, A5[1] - 130)
    return page.bitmap


def card_face(entry: BookletEntry, verify_url: str = "") -> CardFace:
    return CardFace.from_credential(entry.credential, entry.qr_text, entry.issuer,
                                    verify_url=verify_url, unit_titles=entry.unit_titles)
