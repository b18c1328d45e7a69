"""Login throttling, in the database so that every process (gunicorn workers, other hosts on
PostgreSQL) counts the same failures.

Failed sign-ins are counted per account (the username asked for, known or not) and per client
address (an IPv6 client by its /64, which one client usually holds whole). After
`ACCOUNT_FAILURES` failures to one account, or `CLIENT_FAILURES` from one address, within
`WINDOW`, that account or address is locked for `LOCKOUT`: every sign-in to it is refused
with 429 and Retry-After, without its password being checked. A success clears its account's
count (not the address's: one good account must not buy an address more guesses at others).

A one-time download link (`issuer.service.downloads`) is throttled the same way, by its own
count per client address (scope "download"): a holder's phone trying links that do not work
never locks the centre's staff out of signing in from the same network.

An attempt is counted *before* its password is checked, in a transaction that locks the
counters (row locks on PostgreSQL, the write lock on SQLite), so parallel attempts from any
number of processes never check more passwords than the limit; a success takes its count
back.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from issuer import audit
from issuer.db import LoginThrottle, as_utc
from issuer.service.errors import Throttled

ACCOUNT_FAILURES = 5
CLIENT_FAILURES = 20
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
DOWNLOAD_FAILURES = 20
_FORGOTTEN = timedelta(days=1)  # counters idle this long are deleted
_LIMITS = {"account": ACCOUNT_FAILURES, "client": CLIENT_FAILURES,
           "download": DOWNLOAD_FAILURES}


@dataclass(frozen=True)
class Keys:
    """The counters one attempt is charged to."""

    account: str
    client: str

    def pairs(self) -> list[tuple[str, str]]:
        return [("account", self.account), ("client", self.client)]


@dataclass(frozen=True)
class DownloadKeys:
    """The one counter a download link's redemption is charged to: its client address."""

    client: str

    def pairs(self) -> list[tuple[str, str]]:
        return [("download", self.client)]


Counters = Keys | DownloadKeys


def download_keys(address: str | None) -> DownloadKeys:
    return DownloadKeys(client_key(address))


def keys(username: str, address: str | None) -> Keys:
    return Keys(username.casefold()[:64], client_key(address))


def client_key(address: str | None) -> str:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _rows(session: Session, keys: Counters, now: datetime) -> list[LoginThrottle]:
    """The attempt's counters, created if new, locked for this transaction."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for scope, key in keys.pairs():
        session.execute(insert(LoginThrottle).values(scope=scope, key=key, failures=0,
                                                     window_start=now)
                        .on_conflict_do_nothing())
    rows = []
    for scope, key in keys.pairs():
        row = session.execute(select(LoginThrottle).where(
            LoginThrottle.scope == scope, LoginThrottle.key == key).with_for_update()
            .execution_options(populate_existing=True)).scalar_one()
        rows.append(row)
    return rows


def _locked(row: LoginThrottle, now: datetime) -> bool:
    return row.locked_until is not None and as_utc(row.locked_until) > now


def begin(session: Session, keys: Counters, now: datetime, *, what: str = "sign-ins"
          ) -> dict[str, int]:
    """Count one attempt before its password (or link) is checked; `Throttled` while any of
    its counts is locked. Returns the attempt's number in each count (scope -> number)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.window_start < now - _FORGOTTEN))
    rows = _rows(session, keys, now)
    waits = [as_utc(r.locked_until) - now for r in rows
             if r.locked_until is not None and _locked(r, now)]
    if waits:
        raise Throttled(math.ceil(max(waits).total_seconds()), what)
    for row in rows:
        if row.locked_until is not None or as_utc(row.window_start) + WINDOW <= now:
            row.failures, row.window_start, row.locked_until = 0, now, None  # a fresh window
        row.failures += 1
        if row.failures >= _LIMITS[row.scope]:
            row.locked_until = now + LOCKOUT
    return {row.scope: row.failures for row in rows}


def failed(session: Session, keys: Keys, numbers: dict[str, int], now: datetime, actor: str,
           username: str) -> None:
    """The attempt (`numbers` from `begin`) had a wrong password: it stays counted; audited,
    and so is the lock it completes (once: by the attempt that reached the limit)."""
    audit.append(session, actor, "login.fail", f"user:{username[:100]}")
    for row in _rows(session, keys, now):
        if row.failures >= _LIMITS[row.scope] and not _locked(row, now):
            row.locked_until = now + LOCKOUT  # a success in between had lifted it
        if numbers[row.scope] == _LIMITS[row.scope] and row.locked_until is not None:
            audit.append(session, actor, "login.lockout", f"{row.scope}:{row.key}",
                         {"failures": row.failures,
                          "until": as_utc(row.locked_until).isoformat(timespec="seconds")})


def download_failed(session: Session, keys: DownloadKeys, numbers: dict[str, int],
                    now: datetime) -> None:
    """A download link did not open (`numbers` from `begin`): the attempt stays counted; the
    lock it completes is audited, once."""
    for row in _rows(session, keys, now):
        if numbers[row.scope] == _LIMITS[row.scope] and row.locked_until is not None:
            audit.append(session, f"client:{row.key}"[:60], "download.lockout",
                         f"{row.scope}:{row.key}",
                         {"failures": row.failures,
                          "until": as_utc(row.locked_until).isoformat(timespec="seconds")})


def succeeded(session: Session, keys: Counters, now: datetime) -> None:
    """The attempt signed in (or its link opened): its account starts afresh; its address
    gets its count back."""
    for row in _rows(session, keys, now):
        row.failures = 0 if row.scope == "account" else max(0, row.failures - 1)
        if row.failures < _LIMITS[row.scope]:
            row.locked_until = None


def clear_account(session: Session, username: str) -> None:
    """An admin reset the account's password: its lock, if any, goes with the old password."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.scope == "account",
                                                LoginThrottle.key == username.casefold()[:64]))
