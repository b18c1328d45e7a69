"""Print products: A4 sheets of cards with cut marks, and the passport booklet (PDF)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageOps

from passport import card
from passport.bitmap import PackedBitmap
from passport.card import AWARD_NAMES, CardFace, text_bitmap
from passport.credential import Credential, Kind

DPI = 300
A4 = (2480, 3508)
A5 = (1748, 2480)
SHEET_COLUMNS, SHEET_ROWS = 2, 5  # 10 ID-1 cards on an A4 page
CUT_MARK = 60


def sheet_pages(cards: Sequence[PackedBitmap]) -> list[PackedBitmap]:
    """Cards edge to edge on A4 pages, with cut marks in the margins at every cut line."""
    per_page = SHEET_COLUMNS * SHEET_ROWS
    grid_w, grid_h = SHEET_COLUMNS * card.WIDTH, SHEET_ROWS * card.HEIGHT
    left, top = (A4[0] - grid_w) // 2, (A4[1] - grid_h) // 2
    pages = []
    for start in range(0, len(cards), per_page):
        page = PackedBitmap.blank(*A4)
        for k, face in enumerate(cards[start:start + per_page]):
            col, row = k % SHEET_COLUMNS, k // SHEET_COLUMNS
            page.draw(face, left + col * card.WIDTH, top + row * card.HEIGHT)
        for c in range(SHEET_COLUMNS + 1):
            x = left + c * card.WIDTH
            page.fill_black(x - 1, top - CUT_MARK - 20, x + 1, top - 20)
            page.fill_black(x - 1, top + grid_h + 20, x + 1, top + grid_h + CUT_MARK + 20)
        for r in range(SHEET_ROWS + 1):
            y = top + r * card.HEIGHT
            page.fill_black(left - CUT_MARK - 20, y - 1, left - 20, y + 1)
            page.fill_black(left + grid_w + 20, y - 1, left + grid_w + CUT_MARK + 20, y + 1)
        pages.append(page)
    return pages


def pdf(pages: Sequence[PackedBitmap]) -> bytes:
    """A PDF with one 1-bit page image per bitmap (CCITT G4, as fax machines and printers like)."""
    images = [p.to_image() for p in pages]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=DPI, save_all=True, append_images=images[1:])
    return buf.getvalue()


@dataclass(frozen=True)
class BookletEntry:
    credential: Credential
    qr_text: str
    issuer: tuple[str, str]  # English, Khmer
    unit_titles: Mapping[str, tuple[str, str]]  # unit code -> (English, Khmer), when known


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
                  photo: Image.Image | None = None) -> list[PackedBitmap]:
    holder = entries[0].credential.holder
    cover = _Page(A5)
    cover.y = 200
    cover.line("SKILLS PASSPORT", 64, "Bold")
    cover.line("លិខិតឆ្លងដែនជំនាញ", 56, "Bold", gap=60)
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
    cover.y = A5[1] - 330
    cover.rule()
    cover.line(f"Printed {printed.isoformat()}. Each page carries a signed QR code.", 26, gap=6)
    cover.line("Any Skills Passport verifier checks it with no network.", 26, gap=6)
    cover.line("ទំព័រនីមួយៗមានកូដ QR ដែលបានចុះហត្ថលេខា អាចផ្ទៀងផ្ទាត់ដោយគ្មានអ៊ីនធឺណិត", 26)
    return [cover.bitmap] + [_credential_page(e) for e in entries]


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


def card_face(entry: BookletEntry) -> CardFace:
    return CardFace.from_credential(entry.credential, entry.qr_text, entry.issuer)
