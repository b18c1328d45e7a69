"""File writes that never leave half-written state behind."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from passport.errors import DocumentError, StorageError


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644, durable: bool = True) -> None:
    """Write via a temporary file and rename: readers see the old or the new file, never half.

    `durable=False` skips fsync, for outputs that can be regenerated from a durable record.
    """
    import tempfile  # writers only: `skillpass verify` reads, and starts without it

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise StorageError(str(path), exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StorageError(str(path), exc.strerror or str(exc)) from None


def package_file(package: str, *parts: str) -> Path:
    """A data file shipped inside an installed package (a plain folder on disk, as pip and
    the editable install lay it out). importlib.resources would find the same file, but its
    import (tempfile, shutil, zipfile) costs the verifier's start-up more than reading does."""
    origin = importlib.import_module(package).__file__
    assert origin is not None, f"{package} is not a package on disk"
    return Path(origin).parent.joinpath(*parts)


def read_bytes(path: Path, *, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise StorageError(str(path), f"file is {size} bytes, the limit is {limit}")
        with path.open("rb") as fh:  # bounded even where the size lies (a device, a pipe)
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise StorageError(str(path), f"file is over the limit of {limit} bytes")
        return data
    except FileNotFoundError:
        raise StorageError(str(path), "no such file") from None
    except IsADirectoryError:
        raise StorageError(str(path), "is a folder, not a file") from None
    except OSError as exc:
        raise StorageError(str(path), exc.strerror or str(exc)) from None


def read_document(path: Path, *, limit: int) -> str:
    """An input document's text; not UTF-8 is the document's fault, reported as such."""
    try:
        return read_bytes(path, limit=limit).decode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError(str(path), [("file", "is not UTF-8 text")]) from None


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path` (created if missing) for the block: one
    writer at a time across processes (POSIX flock)."""
    import fcntl  # on lockers only: `skillpass verify` reads, and starts without it

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = path.open("a")
    except OSError as exc:
        raise StorageError(str(path), exc.strerror or str(exc)) from None
    with fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
