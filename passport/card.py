"""The wallet card: ID-1 (85.6 x 54 mm) at 300 dpi, black and white, QR with its quiet zone.

Front: the holder's name in Khmer script and Latin letters, birth year (never the full date),
the last 4 digits of the national ID, the award in Khmer and English, CQF level, issuer,
issue date, credential id, and the QR with "scan to verify offline" in both languages and,
under it, where a verifier is found (the centre's verifier address). A statement of
attainment also lists the units it attests, as the card is all some holders carry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageOps

from passport import qrsymbol
from passport.bitmap import PackedBitmap
from passport.credential import AchievementType, Credential
from passport.fonts import font

DPI = 300
WIDTH, HEIGHT = 1011, 638  # 85.6 mm x 54 mm at 300 dpi
MARGIN = 36  # 3 mm
QR_BOX = 534  # the square the QR and its quiet zone occupy, right-aligned
TEXT_RIGHT = WIDTH - QR_BOX - 8
UNITS_TOP = 372  # below the compact award line of a statement (see _background)
ISSUER_TOP = 470
MAX_UNIT_LINES = 4
_KHMER = re.compile("[\u1780-\u17ff\u19e0-\u19ff]")
AWARD_NAMES = {
    AchievementType.CERTIFICATE: ("វិញ្ញាបនបត្រ", "Certificate"),
    AchievementType.STATEMENT_OF_ATTAINMENT: ("លិខិតបញ្ជាក់សមិទ្ធផល", "Statement of attainment"),
    AchievementType.COURSE: ("វគ្គបណ្តុះបណ្តាល", "Training record"),
}


@dataclass(frozen=True)
class CardFace:
    """Everything printed on a card, taken from a verified credential."""

    name_km: str
    name: str
    birth_year: int
    id_last4: str
    title_km: str
    title: str
    award_km: str
    award: str
    level: str
    issuer: str
    issuer_km: str
    issued: str
    credential_id: str
    qr_text: str
    verify_url: str = ""  # printed under "scan to verify offline"; empty: not printed
    units: tuple[str, ...] = ()  # "CODE title" per unit a statement of attainment attests

    @classmethod
    def from_credential(cls, credential: Credential, qr_text: str,
                        issuer: tuple[str, str], *, verify_url: str = "",
                        unit_titles: Mapping[str, tuple[str, str]] | None = None) -> CardFace:
        award_km, award = AWARD_NAMES[credential.achievement.type]
        units: tuple[str, ...] = ()
        if credential.achievement.type is AchievementType.STATEMENT_OF_ATTAINMENT:
            # A certificate attests the whole rubric: its title says it all. A statement
            # attests some units only, and a reader must see which.
            titles = unit_titles or {}
            units = tuple(f"{r.unit}  {titles.get(r.unit, ('', ''))[0]}".rstrip()
                          for r in credential.results)
        return cls(
            name_km=credential.holder.name_km, name=credential.holder.name.upper(),
            birth_year=credential.holder.birth_year,
            id_last4=credential.holder.national_id_last4,
            title_km=credential.achievement.name_km, title=credential.achievement.name,
            award_km=award_km, award=award, level=credential.achievement.level.name,
            issuer=issuer[0], issuer_km=issuer[1],
            issued=credential.valid_from.date().isoformat(),
            credential_id=credential.id.rsplit(":", 1)[1], qr_text=qr_text,
            verify_url=verify_url, units=units)


def _script(text: str) -> str:
    return "khmer" if _KHMER.search(text) else "latin"


@lru_cache(maxsize=4096)
def text_bitmap(text: str, size: int, weight: str = "Regular",
                max_width: int = TEXT_RIGHT - MARGIN) -> PackedBitmap:
    """One line of text, shrunk until it fits `max_width`; cached, as titles repeat."""
    while True:
        f = font(_script(text), size, weight)
        # Render on a generous canvas and crop to the ink: getbbox() can undercut the
        # outlines of a variable font's named instance.
        pad = size
        img = Image.new("L", (int(f.getlength(text)) + 2 * pad, 3 * size + 2 * pad), 255)
        draw = ImageDraw.Draw(img)
        draw.fontmode = "1"
        draw.text((pad, pad), text, font=f, fill=0)
        ink = ImageOps.invert(img).getbbox()
        if ink is None:
            return PackedBitmap.blank(1, 1)
        if ink[2] - ink[0] <= max_width or size <= 12:
            break
        size -= 2
    img = img.crop(ink).convert("1", dither=Image.Dither.NONE)
    return PackedBitmap.from_image(img)


def qr_bitmap(text: str, box: int = QR_BOX) -> PackedBitmap:
    """The QR symbol with its full 4-module quiet zone, scaled to whole pixels per module."""
    symbol = qrsymbol.encode(text)
    modules = symbol.size + 2 * qrsymbol.QUIET_ZONE
    scale = box // modules
    side = modules * scale
    stride_bits = (side + 7) // 8 * 8
    rows: list[int] = []
    white = (1 << stride_bits) - 1
    quiet = [white] * (qrsymbol.QUIET_ZONE * scale)
    rows += quiet
    expand = _expander(scale)
    for row in symbol.rows():
        bits = 0
        for k in range(0, symbol.size, 8):
            chunk = (row >> max(0, symbol.size - k - 8)) & 0xFF if symbol.size - k >= 8 else \
                (row & ((1 << (symbol.size - k)) - 1)) << (8 - (symbol.size - k))
            bits = (bits << (8 * scale)) | expand[chunk]
        width_bits = ((symbol.size + 7) // 8) * 8 * scale
        dark = bits >> (width_bits - symbol.size * scale)
        line = white ^ (dark << (stride_bits - (qrsymbol.QUIET_ZONE + symbol.size) * scale))
        rows += [line] * scale
    rows += quiet
    return PackedBitmap(side, side, rows)


@lru_cache(maxsize=8)
def _expander(scale: int) -> tuple[int, ...]:
    """Each byte of module bits widened so that every bit becomes `scale` bits."""
    out = []
    for b in range(256):
        v = 0
        for k in range(7, -1, -1):
            v = (v << scale) | (((1 << scale) - 1) if b >> k & 1 else 0)
        out.append(v)
    return tuple(out)


@lru_cache(maxsize=256)
def _background(issuer: str, issuer_km: str, title_km: str, title: str, award_km: str,
                award: str, level: str, verify_url: str, compact: bool) -> PackedBitmap:
    """Everything a batch of cards shares: rendered once per issuer and award.

    `compact` puts award and level on one line, to leave room for a list of units."""
    bg = PackedBitmap.blank(WIDTH, HEIGHT)
    y = 30
    bg.draw(text_bitmap("SKILLS PASSPORT  ·  ប័ណ្ណជំនាញ", 20, "SemiBold"), MARGIN, y)
    y = 232
    award_lines = ((f"{award_km}  ·  {award}  ·  {level}", 20, "Regular"),) if compact else \
        ((f"{award_km}  ·  {award}", 20, "Regular"), (level, 20, "Regular"))
    for text, size, weight in ((title_km, 30, "SemiBold"), (title, 24, "SemiBold"),
                               *award_lines):
        line = text_bitmap(text, size, weight)
        bg.draw(line, MARGIN, y)
        y += line.height + 12
    y = ISSUER_TOP
    for text in (issuer, issuer_km):
        line = text_bitmap(text, 18)
        bg.draw(line, MARGIN, y)
        y += line.height + 8
    hint = text_bitmap("ស្កេនដើម្បីផ្ទៀងផ្ទាត់ក្រៅបណ្តាញ  ·  Scan to verify offline", 17,
                       max_width=QR_BOX - 40)
    if verify_url:
        # Under the hint, so that a reader with no verifier yet knows where to get one.
        where = text_bitmap(verify_url, 16, max_width=QR_BOX - 40)
        bottom = HEIGHT - 24 - where.height
        bg.draw(where, WIDTH - QR_BOX + (QR_BOX - where.width) // 2, bottom)
        bg.draw(hint, WIDTH - QR_BOX + (QR_BOX - hint.width) // 2, bottom - 8 - hint.height)
    else:
        bg.draw(hint, WIDTH - QR_BOX + (QR_BOX - hint.width) // 2, HEIGHT - 30 - hint.height)
    bg.fill_black(MARGIN, 218, TEXT_RIGHT, 220)
    return bg


def unit_lines(face: CardFace) -> list[PackedBitmap]:
    """The units of a statement, one line each, at most MAX_UNIT_LINES (the last then says
    how many more the booklet lists): they fit between the award line and the issuer."""
    shown = list(face.units)
    if len(shown) > MAX_UNIT_LINES:
        rest = len(shown) - MAX_UNIT_LINES + 1
        shown = [*shown[:MAX_UNIT_LINES - 1], f"+ {rest} more units: see the booklet"]
    return [_short_line(text, 16, TEXT_RIGHT - MARGIN - 16) for text in shown]


def _short_line(text: str, size: int, width: int) -> PackedBitmap:
    """`text` at `size`, cut at a word and ended with "…" if too wide: every unit line in
    one size reads better than some lines shrunk to a smaller type."""
    words = text.split(" ")
    line = text_bitmap(text, size, max_width=10 * WIDTH)
    while line.width > width and len(words) > 2:
        words.pop()
        line = text_bitmap(" ".join(words).rstrip(" ,:;") + "…", size, max_width=10 * WIDTH)
    return line if line.width <= width else text_bitmap(text, size, max_width=width)


def render(face: CardFace, photo: Image.Image | None = None) -> PackedBitmap:
    card = _background(face.issuer, face.issuer_km, face.title_km, face.title, face.award_km,
                       face.award, face.level, face.verify_url, bool(face.units)).copy()
    y = UNITS_TOP
    for line in unit_lines(face):
        card.draw(line, MARGIN + 16, y)
        y += line.height + 5
    x = MARGIN
    if photo is not None:
        portrait = ImageOps.fit(photo.convert("L"), (120, 150)).convert("1")  # dithered
        card.draw(PackedBitmap.from_image(portrait), MARGIN, 64)
        x = MARGIN + 132
    width = TEXT_RIGHT - x
    y = 64
    for text, size, weight in ((face.name_km, 38, "Bold"), (face.name, 28, "Bold"),
                               (f"Born {face.birth_year}  ·  ID …{face.id_last4}", 20, "Regular"),
                               (f"Issued {face.issued}  ·  No. {face.credential_id}", 18, "Regular")):
        line = text_bitmap(text, size, weight, max_width=width)
        card.draw(line, x, y)
        y += line.height + 10
    qr = qr_bitmap(face.qr_text, QR_BOX - 24)
    card.draw(qr, WIDTH - QR_BOX + (QR_BOX - qr.width) // 2, 12)
    return card
