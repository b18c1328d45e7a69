"""Write passport/_schemas_compiled.py: the verifier's schema validators, compiled ahead.

Run after editing a schema in schemas/ (tests/test_generated_files.py fails until then; the
verifier stays correct meanwhile, compiling the schemas at run time).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from passport import schema

TARGET = Path(__file__).resolve().parents[1] / "passport" / "_schemas_compiled.py"


def main() -> None:
    TARGET.write_text(schema.module_source(), encoding="utf-8")
    print(f"written {TARGET}", file=sys.stderr)


if __name__ == "__main__":
    main()
