"""Write passport/_qr_templates_compiled.py: the QR codec's template unpackers, generated ahead.

Run after changing the unpacker's code generator in passport/qrpack.py or adding a template
(tests/test_generated_files.py fails until then; decoding stays correct meanwhile, the code
being generated at run time).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from passport import qr

TARGET = Path(__file__).resolve().parents[1] / "passport" / "_qr_templates_compiled.py"


def main() -> None:
    TARGET.write_text(qr.templates_module_source(), encoding="utf-8")
    print(f"written {TARGET}", file=sys.stderr)


if __name__ == "__main__":
    main()
