"""What a service operation refuses, by kind; the web maps each kind to one HTTP status."""

from __future__ import annotations

from passport.errors import Error, UsageError


class NotFound(UsageError):
    """No such candidate, assessment, credential or user (HTTP 404)."""


class Conflict(UsageError):
    """The change contradicts the current state, e.g. revoking twice (HTTP 409)."""


class Forbidden(UsageError):
    """This user may not do this to this record (HTTP 403)."""


class Busy(Error):
    """The database could not take the change now (lock timeout); try again (HTTP 503)."""
