"""Fonts shipped as package dependencies (never whatever a machine happens to have).

Khmer text goes through Pillow's RAQM layout (HarfBuzz shaping: subscript consonants,
vowel signs); Latin text uses the basic layout, which is faster and needs no shaping.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from PIL import ImageFont, features

from passport.errors import UsageError

_PACKAGES = {"khmer": "fontpkg_noto_sans_khmer", "latin": "fontpkg_noto_sans"}


def font_file(script: str) -> Path:
    try:
        module = importlib.import_module(_PACKAGES[script])
    except ImportError:
        raise UsageError(f"the {script} font package {_PACKAGES[script]} is not installed; "
                         "install skills-passport[print]") from None
    files = sorted((Path(module.ROOT) / "files").glob("*.ttf"))
    upright = [f for f in files if "Italic" not in f.name]
    return upright[0]


@cache
def font(script: str, size: int, weight: str = "Regular") -> ImageFont.FreeTypeFont:
    if script == "khmer" and not features.check("raqm"):
        raise UsageError("Pillow was built without RAQM: Khmer cannot be shaped correctly")
    layout = ImageFont.Layout.RAQM if script == "khmer" else ImageFont.Layout.BASIC
    f = ImageFont.truetype(str(font_file(script)), size, layout_engine=layout)
    f.set_variation_by_name(weight)
    return f
