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
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from passport.errors import StorageError, UsageError
from passport.fileio import read_bytes, write_atomic

if TYPE_CHECKING:
    from issuer.home import Home
    from passport.keys import PublicKey


@dataclass(frozen=True)
class Wave1Import:
    """How `skillpass upgrade` imports an earlier version's home (see `issuer.wave1`)."""

    public_key: PublicKey  # the centre's key: only credentials it verifies are imported
    folders: tuple[Path, ...] = ()  # where `issue`, `issue-batch` and `demo` wrote output
    accept_shared_slots: bool = False
    without_credentials: bool = False  # import the counter and bits only, knowingly
    report: list[str] = field(default_factory=list)  # filled in: what was imported


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    return config


def head_revision() -> str:
    """The revision every database is brought to."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def upgrade(engine: Engine, *, home: Home | None = None, wave1: Wave1Import | None = None) -> None:
    config = _config()
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
                if connection.dialect.name == "postgresql":
                    # Processes starting together (gunicorn workers) migrate one at a time;
                    # the others then find the schema current. SQLite's BEGIN IMMEDIATE does
                    # the same there.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                                       {"k": _MIGRATION_LOCK})
                if home is not None:
                    _same_database_before(connection, home, engine)
                config.attributes["connection"] = connection
                before = _revision(connection)
                command.upgrade(config, "head")
                if sqlite and _revision(connection) != before:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise StorageError(str(engine.url), "the upgraded database refers to "
                                           f"rows that do not exist: {broken[:5]}")
                database_id = _database_id(connection)
                if home is not None:
                    _same_database(home, database_id, engine)
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")
    if home is not None:
        from issuer import wave1 as earlier

        if not home.database_id_file.exists():
            # Bound after the commit: a rolled-back upgrade must not leave the home pointing
            # at a database id that was never committed.
            write_atomic(home.database_id_file, database_id.encode() + b"\n")
        earlier.remove_imported_files(engine, home)


# One home, one database. The first start records the database's id in the home; from then
# on a different database (DATABASE_URL unset, mistyped, another centre's) is refused instead
# of being used: issuing or publishing from the wrong one would hand out slots twice and
# publish another store's statuses in this centre's name.
_MIGRATION_LOCK = 0x534B5031  # "SKP1": pg_advisory_xact_lock key for migrations


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _bound_id(home: Home) -> str | None:
    if not home.database_id_file.exists():
        return None
    return read_bytes(home.database_id_file, limit=256).decode("ascii", "replace").strip()


def _same_database_before(connection: Connection, home: Home, engine: Engine) -> None:
    bound = _bound_id(home)
    if bound is not None and not inspect(connection).has_table("installation"):
        raise UsageError(f"this home's database is {bound}, but {_where(engine)} is a new or "
                         "empty database: check DATABASE_URL (a home keeps one database)")


def _same_database(home: Home, database_id: str, engine: Engine) -> None:
    bound = _bound_id(home)
    if bound is not None and bound != database_id:
        raise UsageError(f"this home's database is {bound}, but {_where(engine)} is database "
                         f"{database_id}: check DATABASE_URL (a home keeps one database)")


def _database_id(connection: Connection) -> str:
    value = connection.execute(text("SELECT value FROM installation WHERE name = 'database_id'"))
    return str(value.scalar_one())


def _pragma(connection: Connection, pragma: str) -> None:
    """Run a PRAGMA on the driver's connection, outside any transaction SQLAlchemy began."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
