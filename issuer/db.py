"""The issuer's database: SQLAlchemy 2 models. SQLite by default, PostgreSQL by DATABASE_URL.

The schema is created and upgraded by Alembic migrations (issuer/migrations), never by
`create_all`, so a PostgreSQL deployment and a job-fair laptop always share one schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(t: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; everything stored is UTC."""
    return t if t.tzinfo else t.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin | assessor | registrar
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set while the password is one someone else chose or saw (the first admin's from
    # `skillpass init`, an admin's at creation or reset): the holder must change it first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                                 nullable=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256; never the token
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebSession(Base):
    """A signed-in browser. The cookie carries a random key; this row, its SHA-256.

    Signing out deletes the row, so a copy of the cookie saved before is worth nothing; a
    password change, a reset or a deactivation deletes every row of the user.
    """

    __tablename__ = "web_sessions"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginThrottle(Base):
    """Failed sign-ins counted per account and per client address, shared by every process.

    `scope` is "account" or "client"; `key` the username or the address (an IPv6 /64).
    """

    __tablename__ = "login_throttle"
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Candidate(Base):
    """A returnee. No health, debt, wage, employer or immigration data has a column here."""

    __tablename__ = "candidates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    name_km: Mapped[str] = mapped_column(String(80))
    birth_year: Mapped[int] = mapped_column(Integer)
    # Registered at the desk: the full date. Arrived with a job fair's results: the year only.
    birth_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # Keyed hash of the full number. NULL only for holders imported from an earlier version's
    # credential files, which carry no full number.
    national_id_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    national_id_last4: Mapped[str] = mapped_column(String(4))
    phone: Mapped[str] = mapped_column(String(30), default="")
    province: Mapped[str] = mapped_column(String(60), default="")
    occupation_abroad: Mapped[str] = mapped_column(String(120), default="")
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class CentreSetting(Base):
    """A setting the centre's admin changed; a missing row is the default (service.settings)."""

    __tablename__ = "centre_settings"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    changed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdentityHold(Base):
    """The national ID number typed at registration, sealed with the centre's key, until
    `expires_at` (the same working day): see service.identity. Never longer, never decrypted
    except to sign that day's credential."""

    __tablename__ = "identity_holds"
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Evidence(Base):
    __tablename__ = "evidence"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AssessmentRecord(Base):
    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    rubric_id: Mapped[str] = mapped_column(String(40))
    rubric_version: Mapped[int] = mapped_column(Integer)
    rubric_sha256: Mapped[str] = mapped_column(String(64))
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    date: Mapped[str] = mapped_column(String(10))
    judgments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open|decided|issued
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The web form as last entered (see service.assessments.Draft): kept apart from
    # `judgments`, which only ever holds input the engine accepted.
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class CredentialRecord(Base):
    __tablename__ = "credentials"
    # One credential per status slot. The only exception is a slot an earlier version handed
    # out twice (command line and service counted separately); such rows are marked
    # `shared_slot` when that home is upgraded, and a status change applies to the whole slot.
    __table_args__ = (Index("uq_status_slot", "status_list", "status_index", unique=True,
                            sqlite_where=text("NOT shared_slot"),
                            postgresql_where=text("NOT shared_slot")),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(10))
    achievement_type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    status_list: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    jws: Mapped[str] = mapped_column(Text)
    qr: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    status_reason: Mapped[str] = mapped_column(String(300), default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                               nullable=True)
    # Content hash of the input a command-line or batch issuance came from: issuing the same
    # input again finds this credential instead of signing a second one.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    shared_slot: Mapped[bool] = mapped_column(Boolean, default=False)
    # The signing key (kid): a key's issuance record lists the credentials it signed.
    kid: Mapped[str | None] = mapped_column(String(12), nullable=True)


class DownloadLink(Base):
    """A one-time link the holder's phone fetches their credentials with (service.downloads).

    Only the token's SHA-256 is kept; `used_at` is set once, by the one redemption."""

    __tablename__ = "download_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    credential_ids: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StatusListRecord(Base):
    """One published status list: its bits, and its signed credential cached until it changes.

    Bits change in the transaction that changes a credential's status, and that transaction
    re-signs the list; `jws` is NULL only until the first signing. Publication reads this
    row, never the credentials table.
    """

    __tablename__ = "status_lists"
    purpose: Mapped[str] = mapped_column(String(20), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    jws: Mapped[str | None] = mapped_column(Text, nullable=True)
    etag: Mapped[str | None] = mapped_column(String(64), nullable=True)
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StatusAllocator(Base):
    """The one row status slots are taken from: the open list and its next free index.

    Locked by every allocation, so processes and threads never share a slot; when the open
    list is full the next one opens in the same transaction.
    """

    __tablename__ = "status_allocator"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_number: Mapped[int] = mapped_column(Integer)
    next_index: Mapped[int] = mapped_column(Integer)


class AuditEntry(Base):
    """Append-only and hash-chained: each entry's hash covers the previous entry's hash."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String(32))  # ISO 8601 text: hashed exactly as stored
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row holding the chain's last hash; locking it serialises appends across processes."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    last_seq: Mapped[int] = mapped_column(Integer)


READ_ONLY = "skillpass_read_only"  # execution option: a transaction that never writes


def make_engine(url: str) -> Engine:
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn: Any) -> None:
            # Take the write lock at BEGIN, so two writers queue instead of failing later.
            # Readers (publication) begin deferred: in WAL mode they never wait for a writer.
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        # pysqlite's own transaction handling would BEGIN (deferred) behind our back.
        @event.listens_for(engine, "connect")
        def _sqlite_no_autobegin(dbapi_conn: Any, _: Any) -> None:
            dbapi_conn.isolation_level = None
    return engine


def session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)
