"""Fixtures for the issuer service: a home, an app on SQLite or PostgreSQL, users per role."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from issuer.app import create_app
from issuer.home import Home
from issuer.service import accounts
from issuer.store import Store
from tests.homes import accredited_home
from tests.issuer import postgres

PASSPHRASE = "test passphrase"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def postgres_prefix() -> Iterator[str | None]:
    try:
        with postgres.server() as prefix:
            yield prefix
    except postgres.Unavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL could not be started under CI: {exc}")
        yield None
        return


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'issuer.db'}"
    prefix = request.getfixturevalue("postgres_prefix")
    if prefix is None:
        pytest.skip("PostgreSQL is not available here (and this is not CI)")
    return postgres.create_database(prefix, f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return accredited_home(tmp_path / "home", PASSPHRASE)


@dataclass
class Service:
    app: Flask
    home: Home
    tokens: dict[str, str]

    def client(self, role: str | None = None) -> FlaskClient:
        client = self.app.test_client()
        if role is not None:
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.tokens[role]}"
        return client

    def call(self, role: str | None, method: str, path: str, **kwargs: Any) -> Any:
        return getattr(self.client(role), method)(path, **kwargs)


def make_service(home: Home, database_url: str, *, secret: str = PASSPHRASE,
                 prefix: str = "") -> Service:
    """The app on `home` with one user and token per role, named `prefix` + the role."""
    app = create_app(home, secret=secret, database_url=database_url, testing=True)
    tokens = {}
    with store_of(app).transaction() as s:
        for role in accounts.ROLES:
            user = accounts.create_user(s, "test", f"{prefix}{role}", PASSWORD, role,
                                        one_time=False)
            tokens[role] = accounts.create_token(s, "test", user, f"{role} token")
        other = accounts.create_user(s, "test", f"{prefix}assessor2", PASSWORD, "assessor",
                                    one_time=False)
        tokens["assessor2"] = accounts.create_token(s, "test", other, "second assessor")
    return Service(app, home, tokens)


def store_of(app: Flask) -> Store:
    store: Store = app.extensions["skillpass.store"]
    return store


@pytest.fixture
def svc(home: Home, database_url: str) -> Iterator[Service]:
    s = make_service(home, database_url)
    yield s
    store_of(s.app).close()


@pytest.fixture
def sqlite_svc(home: Home, tmp_path: Path) -> Iterator[Service]:
    s = make_service(home, f"sqlite:///{tmp_path / 'issuer.db'}")
    yield s
    store_of(s.app).close()
