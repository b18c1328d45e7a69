"""One error root, split by whose fault it is.

`CredentialError`: the presented credential, QR text or document is bad.
`TrustError`: the trust configuration (root key, trust list, status list, bundle) is bad.
`UsageError`: the caller asked for something that cannot be done.
`StorageError`: a file or folder could not be read or written.
Leaf classes carry the data that explains them; `diagnostics()` renders it for a person.
"""

from __future__ import annotations

from datetime import datetime


class Error(Exception):
    """Root of every error this project raises on purpose."""

    def diagnostics(self) -> str:
        return str(self)


class CredentialError(Error):
    """The input credential or its transport is malformed or untrustworthy."""


class QRFormatError(CredentialError):
    def __init__(self, message: str, *, position: int | None = None) -> None:
        self.message = message
        self.position = position
        where = f" (at character {position + 1})" if position is not None else ""
        super().__init__(f"QR text: {message}{where}")


class JWSFormatError(CredentialError):
    def __init__(self, message: str, *, part: str | None = None) -> None:
        self.message = message
        self.part = part
        where = f" in the {part}" if part else ""
        super().__init__(f"JWS: {message}{where}")


class AlgorithmNotAllowed(CredentialError):
    def __init__(self, alg: object) -> None:
        self.alg = alg
        super().__init__(f"JWS: algorithm {alg!r} is not allowed (only EdDSA/Ed25519)")


class SchemaError(CredentialError):
    """A document does not match its JSON Schema; `problems` lists (path, message)."""

    def __init__(self, document: str, problems: list[tuple[str, str]]) -> None:
        self.document = document
        self.problems = problems
        first = problems[0] if problems else ("", "invalid")
        super().__init__(f"{document}: {first[0] or '(root)'}: {first[1]}")

    def diagnostics(self) -> str:
        lines = [f"{self.document} does not match its schema:"]
        lines += [f"  {path or '(root)'}: {msg}" for path, msg in self.problems]
        return "\n".join(lines)


class TimeFormatError(CredentialError, ValueError):
    """A date-time that is not one: the schemas' pattern admits 2026-02-30T25:61:00Z.

    A ValueError too, for the callers that already turn ValueError into their own kind.
    """


class InputTooLarge(CredentialError):
    def __init__(self, what: str, size: int, limit: int) -> None:
        self.what, self.size, self.limit = what, size, limit
        super().__init__(f"{what} is too large: {size} bytes, the limit is {limit}")


class VerificationFailed(CredentialError):
    """Raised by `verify_or_raise`; carries the full result."""

    def __init__(self, result: object, summary: str) -> None:
        self.result = result
        super().__init__(summary)


class TrustError(Error):
    """The trust root, trust list, status list or bundle is unusable."""


class RollbackError(TrustError):
    """Older than what this verifier holds or has seen: a trust list by version, a status list
    by `validFrom`. An old signed document is still signed, so replaying one could undo a
    suspension or a revocation; it is refused and the trust data held stays.

    `seen`: compared with what the verifier remembers (its trust state), not the file it holds.
    """

    def __init__(self, what: str, offered: int | datetime, current: int | datetime, *,
                 seen: bool = False) -> None:
        self.what, self.offered, self.current, self.seen = what, offered, current, seen
        if isinstance(offered, int) and not seen:
            message = f"{what} version {offered} is not newer than the cached version {current}"
        else:
            message = (f"{what} {_label(offered)} is older than the {_label(current, 'one ')} "
                       f"this verifier {'has seen already' if seen else 'holds'}")
        super().__init__(f"{message} (rollback refused; the cached one stays in place)")


def _label(value: int | datetime, one: str = "") -> str:
    return f"version {value}" if isinstance(value, int) else \
        f"{one}of {value.isoformat().replace('+00:00', 'Z')}"


class KeyFileError(TrustError):
    """A key file is unreadable or its passphrase is wrong."""


class UsageError(Error):
    """The caller asked for something that cannot be done as asked."""


class DocumentError(UsageError):
    """An input document (rubric, assessment, CSV row, request body) is invalid.

    `problems` lists (location, message); a location is a line, a JSON path, or both.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        first = problems[0] if problems else ("", "invalid")
        super().__init__(f"{source}: {first[0]}: {first[1]}")

    def diagnostics(self) -> str:
        return "\n".join(f"{self.source}: {where}: {message}" for where, message in self.problems)


class StorageError(Error):
    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"{path}: {reason}")
