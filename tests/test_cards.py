"""Cards, sheets and booklets: real renders read back by a real decoder, after real damage."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageFilter

from passport import qr
from passport.card import HEIGHT, WIDTH, CardFace, render
from passport.credential import Credential
from passport.errors import UsageError
from passport.holder_bundle import passport_bundle
from passport.jws import parse
from tests.homes import accredited_home_from_env

VECTORS = Path(__file__).parent / "vectors" / "v1"
ISSUER = ("National Technical Training Institute", "វិទ្យាស្ថានជាតិបណ្តុះបណ្តាលបច្ចេកទេស")
Cli = Callable[..., tuple[int, str, str]]


def _vector(name: str) -> tuple[Credential, str, str]:
    compact = (VECTORS / f"{name}.jwt").read_text().strip()
    return (Credential.from_payload(parse(compact).payload), compact,
            (VECTORS / f"{name}.qr.txt").read_text().strip())


def _card(name: str = "full-certificate") -> tuple[Image.Image, str]:
    cred, _, text = _vector(name)
    png = render(CardFace.from_credential(cred, text, ISSUER)).to_png()
    image = Image.open(io.BytesIO(png))
    image.load()
    return image, text


def _phone(img: Image.Image) -> Image.Image:
    return img.resize((640, round(640 * img.height / img.width)), Image.Resampling.LANCZOS)


def _jpeg(img: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=40)
    return Image.open(io.BytesIO(buf.getvalue()))


def _rotate(img: Image.Image) -> Image.Image:
    return img.rotate(7, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def _blur(img: Image.Image) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(1.2))


def _photocopy(img: Image.Image) -> Image.Image:
    # Black prints as dark grey and white as light grey: the contrast a copier leaves.
    return img.point(lambda v: 70 + v * 110 // 255)


DAMAGE: dict[str, list[Callable[[Image.Image], Image.Image]]] = {
    "clean": [],
    "phone-640px": [_phone],
    "jpeg-q40": [_jpeg],
    "rotated-7deg": [_rotate],
    "gaussian-blur": [_blur],
    "photocopy": [_photocopy],
    "all-at-once": [_photocopy, _rotate, _blur, _phone, _jpeg],
}


@pytest.mark.parametrize("vector", ["full-certificate", "statement-of-attainment",
                                    "training-record"])
@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_card_scans_back_to_the_exact_qr_text(vector: str, damage: str) -> None:
    image, text = _card(vector)
    assert image.size == (WIDTH, HEIGHT) and image.mode == "1"
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.1)
    damaged = image.convert("L")
    for step in DAMAGE[damage]:
        damaged = step(damaged)
    found = zxingcpp.read_barcodes(damaged)
    assert [b.text for b in found] == [text]


def test_card_shows_only_what_a_card_may_show() -> None:
    cred, _, text = _vector("full-certificate")
    face = CardFace.from_credential(cred, text, ISSUER)
    assert face.birth_year == 1988 and face.id_last4 == "4567"
    assert "010234567" not in json.dumps(face.__dict__, ensure_ascii=False)


def test_passport_bundle_refuses_another_holders_credential() -> None:
    mine, theirs = _vector("full-certificate"), _vector("statement-of-attainment")
    doc = passport_bundle([mine], created=mine[0].valid_from)
    assert doc["holder"]["nameKm"] == "សុខ ដារា" and doc["credentials"][0]["qr"] == mine[2]
    with pytest.raises(UsageError, match="belongs to Chan Sophea"):
        passport_bundle([mine, theirs], created=mine[0].valid_from)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> Path:
    monkeypatch.setenv("SKILLPASS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLPASS_PASSPHRASE", "pass")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    accredited_home_from_env()
    assert cli("demo", "--out", str(tmp_path / "demo"))[0] == 0
    return tmp_path / "demo"


def test_card_sheet_booklet_commands_and_verify_from_photo(demo: Path, tmp_path: Path,
                                                           cli: Cli) -> None:
    code, _, err = cli("card", str(demo / "sok-dara.jwt"), "--out", str(tmp_path / "card.png"))
    assert code == 0, err
    photo = _jpeg(_phone(_rotate(Image.open(tmp_path / "card.png").convert("L"))))
    photo.save(tmp_path / "photo.jpg")
    code, out, _ = cli("verify", str(tmp_path / "photo.jpg"), "--json")
    result = json.loads(out)
    assert code == 0 and result["verdict"] == "valid"
    assert result["credential"]["credentialSubject"]["name"] == "Sok Dara"

    creds = sorted(str(p) for p in demo.glob("*.jwt") if "revoked" not in p.name)
    code, out, _ = cli("sheet", *creds, "--out", str(tmp_path / "sheet.pdf"))
    assert code == 0 and f"{len(creds)} cards on 2 page(s)" in out
    assert (tmp_path / "sheet.pdf").read_bytes().startswith(b"%PDF")

    code, out, _ = cli("booklet", str(demo / "sok-dara.jwt"), str(demo / "sok-dara.qr.txt"),
                       "--out", str(tmp_path / "passport.pdf"))
    assert code == 2  # the same credential twice is refused
    code, out, _ = cli("booklet", str(demo / "sok-dara.jwt"), "--out", str(tmp_path / "p.pdf"))
    assert code == 0
    bundle = json.loads((tmp_path / "p.json").read_text())
    assert bundle["type"] == "SkillsPassportBundle" and len(bundle["credentials"]) == 1


def test_nothing_invalid_is_printed(demo: Path, tmp_path: Path, cli: Cli) -> None:
    code, _, err = cli("card", str(demo / "revoked-sample.jwt"), "--out", str(tmp_path / "x.png"))
    assert code == 2 and "revocation bit is set" in err and not (tmp_path / "x.png").exists()


def test_unreadable_images_are_clear_errors(tmp_path: Path, cli: Cli, demo: Path) -> None:
    Image.new("L", (300, 200), 255).save(tmp_path / "blank.png")
    code, _, err = cli("verify", str(tmp_path / "blank.png"))
    assert code == 2 and "no Skills Passport QR code found" in err
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    code, _, err = cli("verify", str(tmp_path / "broken.png"))
    assert code == 2 and "not a readable image" in err and "Traceback" not in err


def test_qr_text_from_a_card_is_the_codec_text() -> None:
    image, _text = _card()
    assert qr.decode(zxingcpp.read_barcodes(image)[0].text) == _vector("full-certificate")[1]


def test_a_statement_lists_its_units_and_every_card_names_its_verifier() -> None:
    from passport.card import ISSUER_TOP, UNITS_TOP, unit_lines
    from rpl_rubrics.catalogue import unit_title_pairs

    cred, _, text = _vector("statement-of-attainment")
    face = CardFace.from_credential(cred, text, ISSUER, verify_url="ntti.edu.kh/verify/",
                                    unit_titles=unit_title_pairs(cred.achievement.id))
    assert face.units and all(u.split()[0] == r.unit for u, r in zip(face.units, cred.results,
                                                                      strict=True))
    lines = unit_lines(face)
    assert UNITS_TOP + sum(b.height + 5 for b in lines) <= ISSUER_TOP  # above the issuer
    # Many units: the last line says how many more, and the list still fits.
    many = CardFace(**{**face.__dict__, "units": tuple(f"U-{n}  A long unit title that goes "
                                                       "on and on past the card's edge"
                                                       for n in range(9))})
    lines = unit_lines(many)
    assert len(lines) == 4 and UNITS_TOP + sum(b.height + 5 for b in lines) <= ISSUER_TOP
    assert max(b.width for b in lines) <= 480
    image = render(face).to_image()
    decoded = zxingcpp.read_barcodes(image)
    assert [d.text for d in decoded] == [text]
    # A certificate lists no units: its title is the whole rubric.
    cert, _, cert_text = _vector("full-certificate")
    assert CardFace.from_credential(cert, cert_text, ISSUER,
                                    unit_titles=unit_title_pairs(cert.achievement.id)).units == ()
    # The verifier line is drawn under the hint: the card with it differs only at the bottom.
    plain = render(CardFace(**{**face.__dict__, "verify_url": ""})).to_image()
    diff = ImageChops.difference(plain.convert("L"), image.convert("L")).getbbox()
    assert diff is not None and diff[1] > HEIGHT - 110 and diff[0] > WIDTH - 534
