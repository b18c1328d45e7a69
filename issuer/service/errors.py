"""What a service operation refuses, by kind; the web maps each kind to one HTTP status."""

from __future__ import annotations

import math

from passport.errors import Error, UsageError


class NotFound(UsageError):
    """No such candidate, assessment, credential or user (HTTP 404)."""


class Conflict(UsageError):
    """The change contradicts the current state, e.g. revoking twice (HTTP 409)."""


class NotPrinted(Conflict):
    """A card, booklet, sheet or file refused for the state of the credentials (HTTP 409),
    with its words for staff in their language: `key` in issuer/i18n, filled with
    `params`; the English message says the same."""

    def __init__(self, message: str, key: str, **params: str) -> None:
        super().__init__(message)
        self.key = key
        self.params = params

    @classmethod
    def credential(cls, revoked: bool, reason: str) -> NotPrinted:
        """What the command line says of a revoked or suspended credential."""
        state = "revoked" if revoked else "suspended"
        return cls(f"not printed: the credential is {state} ({reason})",
                   f"not_printed.{state}", reason=reason)


class Forbidden(UsageError):
    """This user may not do this to this record (HTTP 403)."""


class Busy(Error):
    """The database could not take the change now (lock timeout); try again (HTTP 503)."""


class Gone(UsageError):
    """A one-time link that was used, has expired, or never existed (HTTP 410). `code` is
    the JSON answer's `error`, by which the phone page says which in its reader's language."""

    code = "gone"


class NothingValid(Gone):
    """A one-time link none of whose credentials is valid now (revoked or suspended): still
    HTTP 410, the link unused."""

    code = "nothing_valid"


class Throttled(UsageError):
    """Too many failed sign-ins to this account or from this address, or failed download
    links from this address (HTTP 429)."""

    def __init__(self, retry_after: int, what: str = "sign-ins") -> None:
        self.retry_after = max(1, retry_after)
        minutes = math.ceil(self.retry_after / 60)
        super().__init__(f"too many failed {what}; try again in {minutes} minute"
                         f"{'s' if minutes != 1 else ''}")
