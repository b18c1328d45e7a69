"""Bringing a database to the current schema with Alembic, from code (no alembic.ini).

The migrations receive the home folder too: revision 0002 moves an earlier version's
file-based status state (a counter file, bit files, credentials the command line wrote to
output folders) into the database, or refuses with what to do (see `issuer.wave1`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from passport.errors import StorageError

if TYPE_CHECKING:
    from issuer.home import Home
    from passport.keys import PrivateKey


@dataclass(frozen=True)
class Wave1Import:
    """How `skillpass upgrade` imports an earlier version's home (see `issuer.wave1`)."""

    key: PrivateKey  # the centre's key: re-signs ledger claims whose .jwt file is missing
    folders: tuple[Path, ...] = ()  # where `issue`, `issue-batch` and `demo` wrote output
    accept_shared_slots: bool = False
    without_credentials: bool = False  # import the counter and bits only, knowingly
    report: list[str] = field(default_factory=list)  # filled in: what was imported


def upgrade(engine: Engine, *, home: Home | None = None, wave1: Wave1Import | None = None) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    config.attributes["home"] = home
    config.attributes["wave1"] = wave1
    with engine.connect() as connection:
        # On SQLite, Alembic alters a table by copying it and dropping the old one, which
        # fails while other rows refer to it and foreign keys are enforced; the pragma is
        # ignored inside a transaction, so it is switched off around the transaction, and
        # the references are checked before the commit instead.
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _pragma(connection, "foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                before = _revision(connection)
                command.upgrade(config, "head")
                if sqlite and _revision(connection) != before:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise StorageError(str(engine.url), "the upgraded database refers to "
                                           f"rows that do not exist: {broken[:5]}")
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")
    if home is not None:
        from issuer import wave1 as earlier

        earlier.remove_imported_files(engine, home)


def _pragma(connection: Connection, pragma: str) -> None:
    """Run a PRAGMA on the driver's connection, outside any transaction SQLAlchemy began."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
