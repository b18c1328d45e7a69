"""`skillpass`: one console script, a thin layer over the library.

The core registers its own commands (`qr`); the issuer and verifier layers register theirs
through the `skillpass.commands` entry-point group, so this module imports neither. A layer
whose extra is not installed still shows its commands, with the install hint.
"""

import argparse
import gc
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from passport.errors import Error, StorageError, UsageError
from passport.fileio import read_bytes

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
MAX_INPUT_BYTES = 1 << 20

Handler = Callable[[argparse.Namespace], int]


def read_text_input(value: str, *, what: str = "input") -> str:
    """Read `-` (stdin) or a file path as text, with a size cap."""
    if value == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise UsageError(f"{what} on standard input is over {MAX_INPUT_BYTES} bytes")
    else:
        data = read_bytes(Path(value), limit=MAX_INPUT_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise StorageError(value, f"{what} is not UTF-8 text") from None


def _qr_encode(args: argparse.Namespace) -> int:
    from passport import qr  # loaded by the command that needs it, after start-up (see main)

    text = qr.encode(read_text_input(args.file, what="JWS").strip())
    print(text)
    if args.stats:
        print(f"{len(text)} characters, QR version {qr.qr_version(text)} at ECC {qr.ECC_LEVEL}",
              file=sys.stderr)
    return EXIT_OK


def _qr_decode(args: argparse.Namespace) -> int:
    from passport import qr

    text = read_text_input("-", what="QR text") if args.text == "-" else args.text
    print(qr.decode(text))
    return EXIT_OK


def _register_qr(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = sub.add_parser("qr", help="encode a JWS as QR text, or decode QR text")
    qsub = parser.add_subparsers(dest="qr_command", required=True)
    enc = qsub.add_parser("encode", help="compact JWS file -> QR text")
    enc.add_argument("file", help="a .jwt file, or - for standard input")
    enc.add_argument("--stats", action="store_true", help="print size and QR version to stderr")
    enc.set_defaults(func=_qr_encode)
    dec = qsub.add_parser("decode", help="QR text -> the exact compact JWS")
    dec.add_argument("text", help="the QR text, or - for standard input")
    dec.set_defaults(func=_qr_decode)


def _missing(name: str, error: Exception) -> (
        "Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]"):
    def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
        parser = sub.add_parser(name, help=f"(not installed: {error})")
        parser.add_argument("rest", nargs=argparse.REMAINDER)

        def fail(_: argparse.Namespace) -> int:
            raise UsageError(f"'{name}' is not available in this install ({error}); "
                             "install the full package: pip install skills-passport[issuer]")
        parser.set_defaults(func=fail)
    return register


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, sized without importing shutil (argparse builds one per option
    it adds, and shutil with its compression modules costs every start ~2 ms)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        if width is None:
            try:
                width = int(os.environ["COLUMNS"])
            except (KeyError, ValueError):
                try:
                    width = os.get_terminal_size(sys.stdout.fileno()).columns
                except (OSError, ValueError, AttributeError):
                    width = 80
            width -= 2  # as argparse does
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    """Key ids are 12 base64url characters, and one in 64 begins with '-': such a value is an
    argument (as a negative number would be), never an unknown option."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\d+$|^-\d*\.\d+$|^-[A-Za-z0-9_-]{11}$")


GROUP = "skillpass.commands"


class Command(NamedTuple):
    """One `skillpass.commands` entry point: a command name and `module:function`."""

    name: str
    value: str

    def load(self) -> Any:
        import importlib

        module, _, attr = self.value.partition(":")
        obj: Any = importlib.import_module(module.strip())
        for part in attr.strip().split("."):
            obj = getattr(obj, part)
        return obj


def commands() -> list[Command]:
    """Every registered command, read from the installed distributions' entry_points.txt.

    importlib.metadata would find the same, but importing it costs more than a whole
    verification (email, zipfile, csv...: ~30 ms, a bare interpreter's start-up): a recruiter
    runs `skillpass verify` once per card. A distribution is taken from the first sys.path
    folder that has it, as importlib.metadata does; anything unusual falls back to it.
    """
    found: dict[str, Command] = {}
    seen: set[str] = set()
    try:
        for folder in sys.path:
            try:
                names = sorted(os.listdir(folder or "."))
            except OSError:
                continue
            for name in names:
                if not name.endswith((".dist-info", ".egg-info")):
                    continue
                dist = name.rsplit("-", 1)[0] if name.endswith(".dist-info") \
                    else name[: -len(".egg-info")]
                dist = re.sub(r"[-_.]+", "_", dist.split("-")[0]).lower()
                if dist in seen:
                    continue
                seen.add(dist)
                path = os.path.join(folder or ".", name, "entry_points.txt")
                if os.path.isfile(path):
                    for command in _group(Path(path).read_text(encoding="utf-8")):
                        found.setdefault(command.name, command)
    except (OSError, UnicodeDecodeError, ValueError):
        from importlib.metadata import entry_points

        return sorted((Command(ep.name, ep.value) for ep in entry_points(group=GROUP)),
                      key=lambda c: c.name)
    return sorted(found.values(), key=lambda c: c.name)


def _group(text: str) -> list[Command]:
    """The `[skillpass.commands]` section of an entry_points.txt (an INI file)."""
    out, inside = [], False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            inside = line == f"[{GROUP}]"
        elif inside:
            name, sep, value = line.partition("=")
            if not sep:
                raise ValueError(f"entry point line {line!r} has no '='")
            out.append(Command(name.strip(), value.strip()))
    return out


def _wanted(argv: Sequence[str], available: list[Command]) -> list[Command] | None:
    """Only the command being run is loaded (`verify` must not import the issuer's Flask and
    SQLAlchemy); None (all of them) for help, or a name no entry point has, so argparse can
    list or refuse them."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None or any(a in ("-h", "--help") for a in argv[: argv.index(first)]):
        return None
    if first == "qr":
        return []  # the core's own command
    named = [c for c in available if c.name == first]
    return named or None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with `argv`, only the command it names is loaded."""
    parser: argparse.ArgumentParser = _Parser(
        prog="skillpass",
        description="Skills Passport: RPL and TVET credentials as offline-verifiable QR cards.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    available = commands()
    wanted = None if argv is None else _wanted(argv, available)
    if wanted is None or not wanted:  # every command, or the core's own `qr`
        _register_qr(sub)
    for command in (available if wanted is None else wanted):
        try:
            register = command.load()
        except ImportError as exc:
            register = _missing(command.name, exc)
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    # Start-up builds thousands of objects that all stay (modules, classes, the parser): a
    # collection pass over them finds nothing to free and costs a few ms of every
    # `skillpass verify`. Collection resumes before any command runs.
    gc.disable()
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
    finally:
        gc.enable()
    try:
        code: int = args.func(args)
    except Error as exc:
        print(f"skillpass: {exc.diagnostics()}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("skillpass: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`skillpass verify X | head -1`): stop quietly. Output still
        # buffered would fail again at exit, so standard output now goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INVALID
    return code


if __name__ == "__main__":
    sys.exit(main())
