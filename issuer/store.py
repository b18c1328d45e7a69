"""The centre's one store: the database, its migrations, and the one rule for transactions.

Every path (web, API, command line, batch, demo) opens the store of its home here and
changes it only inside `Store.transaction()`: the transaction commits as a whole or not at
all; a constraint violation is a `Conflict`, a lock timeout is `Busy`. A transaction that
changed what verifiers see (a status bit, a newly opened status list) marks itself with
`mark_published_change()`, and after it commits the store runs its publisher, which
rewrites the home's trust bundle from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from issuer.db import READ_ONLY, make_engine, session_factory
from issuer.home import Home
from issuer.migrate import Wave1Import, upgrade
from issuer.service.errors import Busy, Conflict
from passport.errors import DocumentError, Error

log = logging.getLogger("skillpass.issuer")
_PUBLISHED_CHANGE = "skillpass.published_change"
_SETS_BITS = "skillpass.sets_bits"


def mark_published_change(session: Session, *, sets_bits: bool = False) -> None:
    """Call inside a transaction that changed a status list: the home bundle is republished.

    `sets_bits`: the change revokes or suspends. Then the home's copy is written before the
    commit too, from the transaction's own view: if the process dies after the commit, or
    the copy cannot be written (a full disk refuses the change), the copy never shows a
    committed revocation as valid. A change that clears a bit (reinstatement) is written
    after the commit only, for the same reason.
    """
    session.info[_PUBLISHED_CHANGE] = True
    if sets_bits:
        session.info[_SETS_BITS] = True


class Publisher(Protocol):
    def before_commit(self, session: Session) -> None: ...

    def after_commit(self) -> None: ...


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = session_factory(engine)
        self._readers: sessionmaker[Session] = session_factory(
            engine.execution_options(**{READ_ONLY: True}))
        self.publisher: Publisher | None = None
        self.publish_error: Error | None = None  # the last after-commit publication's failure

    @classmethod
    def open(cls, home: Home, *, url: str | None = None,
             wave1: Wave1Import | None = None) -> Store:
        """The home's database, brought to the current schema (refusing a home that still
        keeps an earlier version's status files until `skillpass upgrade` imports them)."""
        home.require()
        engine = make_engine(url or home.database_url())
        try:
            upgrade(engine, home=home, wave1=wave1)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            with session, session.begin():
                yield session
                if session.info.get(_SETS_BITS) and self.publisher is not None:
                    session.flush()
                    self.publisher.before_commit(session)
        except IntegrityError as exc:
            raise Conflict(f"the change conflicts with another one "
                           f"({exc.orig.__class__.__name__}); try again") from None
        except OperationalError as exc:
            raise Busy(f"the database is busy ({exc.orig}); try again") from None
        except (DataError, UnicodeEncodeError):
            # Text the database cannot store (a NUL, an unpaired surrogate): the input's fault.
            raise DocumentError("input", [("text", "contains characters that cannot be stored "
                                                   "(NUL or unpaired surrogates)")]) from None
        self.publish_error = None
        if session.info.get(_PUBLISHED_CHANGE) and self.publisher is not None:
            try:
                self.publisher.after_commit()
            except Error as exc:
                # Committed, and served from the database; only the home's copy lags until
                # the next publication (every start and every change), and it lags on the
                # safe side (see mark_published_change).
                self.publish_error = exc
                log.warning("committed, but the home's trust bundle was not rewritten: %s",
                            exc.diagnostics())

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A transaction that only reads: on SQLite it never waits for a writer."""
        try:
            with self._readers() as session, session.begin():
                yield session
        except OperationalError as exc:
            raise Busy(f"the database is busy ({exc.orig}); try again") from None

    def close(self) -> None:
        self.engine.dispose()
