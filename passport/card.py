"""The wallet card: ID-1 (85.6 x 54 mm) at 300 dpi, black and white, QR with its quiet zone.

Front: the holder's name in Khmer script and Latin letters, birth year (never the full date),
the last 4 digits of the national ID, the award in Khmer and English, CQF level, issuer,
issue date, credential id, and the QR with "scan to verify offline" in both languages.
"""

from __future__ import annotations

import re
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

    @classmethod
    def from_credential(cls, credential: Credential, qr_text: str,
                        issuer: tuple[str, str]) -> CardFace:
        award_km, award = AWARD_NAMES[credential.achievement.type]
        return cls(
            name_km=credential.holder.name_km, name=credential.holder.name.upper(),
            birth_year=credential.holder.birth_year,
            id_last4=credential.holder.national_id_last4,
            title_km=credential.achievement.name_km, title=credential.achievement.name,
            award_km=award_km, award=award, level=credential.achievement.level.name,
            issuer=issuer[0], issuer_km=issuer[1],
            issued=credential.valid_from.date().isoformat(),
            credential_id=credential.id.rsplit(":", 1)[1], qr_text=qr_text)


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
                award: str, level: str) -> PackedBitmap:
    """Everything a batch of cards shares: rendered once per issuer and award."""
    bg = PackedBitmap.blank(WIDTH, HEIGHT)
    y = 30
    bg.draw(text_bitmap("SKILLS PASSPORT  ·  ប័ណ្ណជំនាញ", 20, "SemiBold"), MARGIN, y)
    y = 232
    for text, size, weight in ((title_km, 30, "SemiBold"), (title, 24, "SemiBold"),
                               (f"{award_km}  ·  {award}", 20, "Regular"),
                               (level, 20, "Regular")):
        line = text_bitmap(text, size, weight)
        bg.draw(line, MARGIN, y)
        y += line.height + 12
    y = 470
    for text in (issuer, issuer_km):
        line = text_bitmap(text, 18)
        bg.draw(line, MARGIN, y)
        y += line.height + 8
    hint = text_bitmap("ស្កេនដើម្បីផ្ទៀងផ្ទាត់ក្រៅបណ្តាញ  ·  Scan to verify offline", 17,
                       max_width=QR_BOX - 40)
    bg.draw(hint, WIDTH - QR_BOX + (QR_BOX - hint.width) // 2, HEIGHT - 30 - hint.height)
    bg.fill_black(MARGIN, 218, TEXT_RIGHT, 220)
    return bg


def render(face: CardFace, photo: Image.Image | None = None) -> PackedBitmap:
    card = _background(face.issuer, face.issuer_km, face.title_km, face.title, face.award_km,
                       face.award, face.level).copy()
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
