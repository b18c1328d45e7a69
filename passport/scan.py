"""Reading Skills Passport QR codes from images (phone photos, scans), with a real decoder."""

from __future__ import annotations

import io
import struct
import warnings
from typing import TYPE_CHECKING, Any, cast

from passport import qr
from passport.errors import InputTooLarge, QRFormatError

if TYPE_CHECKING:
    # Pillow and zxing-cpp load when an image arrives: a verifier given QR text (or a
    # thousand of them) never pays their start-up.
    from PIL import Image

MAX_IMAGE_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 60_000_000  # a 60-megapixel photo; more is refused before decoding
_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")


MAX_PDF_PAGES = 50
PDF_DPI = 200
# What Pillow raises on a broken file, by plugin: OSError (truncated data), SyntaxError (a
# broken PNG chunk), ValueError (an impossible palette), EOFError and struct.error (a header
# cut short). All of them say the same: not a readable image.
_BROKEN_FILE = (OSError, SyntaxError, ValueError, EOFError, struct.error)


def looks_like_image(data: bytes) -> bool:
    return data.startswith(_MAGIC) or data.startswith(b"%PDF")


def _pdf_pages(data: bytes) -> list[Image.Image]:
    """Each page of a PDF (a print sheet, a booklet) rendered at 200 dpi."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise QRFormatError(f"not a readable PDF ({exc})") from None
    try:
        if len(document) > MAX_PDF_PAGES:
            raise InputTooLarge("PDF", len(document), MAX_PDF_PAGES)
        return [page.render(scale=PDF_DPI / 72, grayscale=True).to_pil() for page in document]
    except pypdfium2.PdfiumError as exc:
        raise QRFormatError(f"not a readable PDF ({exc})") from None
    finally:
        document.close()


def qr_texts(data: bytes) -> list[str]:
    """Every Skills Passport QR text found in an image file's (or a PDF's) bytes."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InputTooLarge("image", len(data), MAX_IMAGE_BYTES)
    if data.startswith(b"%PDF"):
        return [text for page in _pdf_pages(data) for text in _read(page)]
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Pillow's notes on a damaged file (a tag cut short): the verdict says enough.
            warnings.simplefilter("ignore", UserWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise InputTooLarge("image", image.width * image.height, MAX_PIXELS)
            image.load()
            image = _gray(image)
    except (*_BROKEN_FILE, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise QRFormatError(f"not a readable image ({exc})") from None
    return _read(image)


def _gray(image: Image.Image) -> Image.Image:
    return image if image.mode in ("L", "RGB") else image.convert("L")


def _read(image: Image.Image) -> list[str]:
    import zxingcpp

    image = _gray(image)
    found = zxingcpp.read_barcodes(image, formats=cast(Any, zxingcpp.BarcodeFormat.QRCode))
    return [b.text for b in found if b.valid and qr.is_qr_text(b.text)]


def qr_text(data: bytes) -> str:
    texts = qr_texts(data)
    if not texts:
        raise QRFormatError("no Skills Passport QR code found in the image (too blurred, "
                            "too small, or cut off?)")
    if len(set(texts)) > 1:
        raise QRFormatError(f"{len(set(texts))} different credentials found (a print sheet?); "
                            "verify one card at a time")
    return texts[0]
