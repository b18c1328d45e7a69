"""The streaming PDF writer: real cards on sheet pages, read back by a real renderer and decoder."""

from __future__ import annotations

import io
import random
import re
import tracemalloc
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp

from passport import qr
from passport.bitmap import PackedBitmap
from passport.card import CardFace, render
from passport.credential import Credential, HolderInput
from passport.errors import UsageError
from passport.jws import parse
from passport.printing import A4, A5, PER_SHEET, PdfWriter, SheetWriter, pdf, sheet_pages
from tests.conftest import suite_world

ISSUER = ("National Technical Training Institute", "វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស")
A4_POINTS = (595.2, 841.92)  # 2480 x 3508 pixels at 300 dpi


@pytest.fixture(scope="module")
def cards() -> list[tuple[PackedBitmap, str]]:
    """23 different real cards (3 sheet pages, the last one partial) and their QR texts."""
    world, out = suite_world(), []
    for k in range(23):
        compact = world.issue(credential_id=f"urn:skillpass:cred:PDF{k:09d}",
                              holder=HolderInput(f"Candidate {k}", "សុខ ដារា", 1980 + k, f"0{k:08d}"))
        text = qr.encode(compact)
        face = CardFace.from_credential(Credential.from_payload(parse(compact).payload), text, ISSUER)
        out.append((render(face), text))
    return out


def _objects_at_their_offsets(data: bytes) -> int:
    """Check the xref table the way a strict reader uses it (pdfium silently repairs a broken
    one); the number of objects."""
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    tail = re.search(rb"startxref\n(\d+)\n%%EOF\n$", data)
    assert tail is not None
    header = re.compile(rb"xref\n0 (\d+)\n0000000000 65535 f \n").match(data, int(tail[1]))
    assert header is not None
    size = int(header[1])
    table = data[header.end():header.end() + 20 * (size - 1)]
    offsets = [int(entry[:10]) for entry in re.findall(rb"\d{10} 00000 n \n", table)]
    assert len(offsets) == size - 1
    for number, offset in enumerate(offsets, 1):
        assert data.startswith(b"%d 0 obj\n" % number, offset)
    assert re.search(rb"trailer\n<< /Size %d /Root 1 0 R >>" % size, data)
    return size - 1


def test_sheet_pdf_opens_and_every_card_scans_back(cards: list[tuple[PackedBitmap, str]],
                                                   tmp_path: Path) -> None:
    path = tmp_path / "sheet.pdf"
    with path.open("wb") as f, PdfWriter(f) as writer:
        sheet = SheetWriter(writer)
        for bitmap, _ in cards:
            sheet.add(bitmap)
        assert sheet.close() == 3
    data = path.read_bytes()
    assert _objects_at_their_offsets(data) == 2 + 3 * 3
    document = pypdfium2.PdfDocument(data)
    try:
        assert len(document) == 3
        for n, page in enumerate(document):
            assert page.get_size() == pytest.approx(A4_POINTS, abs=0.01)
            image = page.render(scale=300 / 72, grayscale=True).to_pil()
            # zxing also reads inverted codes, so polarity is checked on its own: paper is white.
            assert image.getpixel((5, 5)) == 255 and image.getpixel((image.width - 5, 5)) == 255
            found = sorted(b.text for b in zxingcpp.read_barcodes(image))
            on_page = cards[n * PER_SHEET:(n + 1) * PER_SHEET]
            assert found == sorted(text for _, text in on_page)
    finally:
        document.close()


class _Recorder(PdfWriter):
    def __init__(self) -> None:
        super().__init__(io.BytesIO())
        self.added: list[PackedBitmap] = []

    def add_page(self, page: PackedBitmap) -> None:
        self.added.append(page.copy())
        super().add_page(page)


def test_sheet_writer_pages_equal_sheet_pages(cards: list[tuple[PackedBitmap, str]]) -> None:
    bitmaps = [bitmap for bitmap, _ in cards]
    recorder = _Recorder()
    sheet = SheetWriter(recorder)
    for bitmap in bitmaps:
        sheet.add(bitmap)
    assert recorder.pages == 2  # full pages go out at once; the partial one waits for close()
    assert sheet.close() == 3
    expected = sheet_pages(bitmaps)
    assert [len(p.rows) for p in expected] == [A4[1]] * 3
    assert recorder.added == expected
    buf = io.BytesIO()
    with PdfWriter(buf) as writer:
        sheet = SheetWriter(writer)
        for bitmap in bitmaps:
            sheet.add(bitmap)
        sheet.close()
    assert buf.getvalue() == pdf(expected)  # and the streamed file is byte for byte pdf()'s


def test_page_size_follows_pixels_and_dpi() -> None:
    blank = [PackedBitmap.blank(*A4), PackedBitmap.blank(*A5), PackedBitmap.blank(1011, 638)]
    buf = io.BytesIO()
    with PdfWriter(buf, dpi=150) as writer:
        writer.add_page(blank[2])
    for data, dpi in ((pdf(blank), 300), (buf.getvalue(), 150)):
        _objects_at_their_offsets(data)
        document = pypdfium2.PdfDocument(data)
        try:
            sizes = [page.get_size() for page in document]
        finally:
            document.close()
        pages = blank if dpi == 300 else blank[2:]
        assert sizes == [pytest.approx((p.width * 72 / dpi, p.height * 72 / dpi), abs=0.01)
                         for p in pages]


def test_writer_keeps_no_page_data(tmp_path: Path) -> None:
    # Noise does not compress: a writer that held on to any page's samples would hold
    # 50 x 1.1 MB by the end. In flight are one page's packed bytes, their compressed copy
    # and temporaries (3.3 pages' worth measured); retained, only the offsets.
    rng = random.Random(0)
    noise = PackedBitmap(A4[0], A4[1], [rng.getrandbits(A4[0]) for _ in range(A4[1])])
    raw = len(noise.to_bytes())
    with (tmp_path / "noise.pdf").open("wb") as f:
        tracemalloc.start()
        try:
            writer = PdfWriter(f)
            for _ in range(50):
                writer.add_page(noise)
            retained, _ = tracemalloc.get_traced_memory()
            writer.close()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert (tmp_path / "noise.pdf").stat().st_size > 50 * raw
    assert retained < 50_000 and peak < 5 * raw


def test_misuse_is_a_usage_error() -> None:
    out = io.BytesIO()
    with pytest.raises(UsageError, match="at least one page"):
        PdfWriter(out).close()
    assert out.getvalue() == b""  # nothing that looks like a PDF
    with pytest.raises(UsageError, match="at least one page"):
        pdf([])
    writer = PdfWriter(io.BytesIO())
    writer.add_page(PackedBitmap.blank(8, 8))
    writer.close()
    with pytest.raises(UsageError, match="already closed"):
        writer.add_page(PackedBitmap.blank(8, 8))
    with pytest.raises(UsageError, match="already closed"):
        writer.close()
    sheet = SheetWriter(PdfWriter(io.BytesIO()))
    with pytest.raises(UsageError, match="1011x638 cards, not 8x8"):
        sheet.add(PackedBitmap.blank(8, 8))
    assert sheet.close() == 0
    with pytest.raises(UsageError, match="already closed"):
        sheet.add(PackedBitmap.blank(1011, 638))
    with pytest.raises(UsageError, match="dpi must be positive"):
        PdfWriter(io.BytesIO(), dpi=0)


def test_an_interrupted_job_writes_no_trailer() -> None:
    out = io.BytesIO()
    with pytest.raises(KeyError), PdfWriter(out) as writer:
        writer.add_page(PackedBitmap.blank(8, 8))
        raise KeyError("row 17")
    assert out.getvalue().startswith(b"%PDF") and b"trailer" not in out.getvalue()
    with pytest.raises(UsageError, match="already closed"):
        writer.add_page(PackedBitmap.blank(8, 8))
