"""A throw-away PostgreSQL server for the tests: Debian's package, installed if missing.

Skipped only where it cannot be installed or started, and never under CI (CI=true), where
a missing server fails the run instead of hiding behind a skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.ports import free_port


class Unavailable(Exception):
    pass


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _install() -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Unavailable("PostgreSQL is not installed and this user cannot install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends",
                                         "postgresql"]):
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=900, check=False)
        if done.returncode:
            raise Unavailable(f"{' '.join(cmd)} failed: {done.stderr.decode()[-500:]}")


@contextmanager
def server() -> Iterator[str]:
    """Start a private cluster; yield a SQLAlchemy URL prefix (append the database name)."""
    if _bin("initdb") is None:
        _install()
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise Unavailable("initdb/pg_ctl not found after installing PostgreSQL")
    root = Path(tempfile.mkdtemp(prefix="skillpass-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        prefix = ["runuser", "-u", "postgres", "--"]
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data, port = root / "data", free_port()

    def run(*cmd: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*prefix, *cmd], capture_output=True, timeout=120, check=False)

    done = run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
    if done.returncode:
        raise Unavailable(f"initdb failed: {done.stderr.decode()[-500:]}")
    done = run(pg_ctl, "-D", str(data), "-w", "-l", str(root / "log"), "-o",
               f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    if done.returncode:
        raise Unavailable(f"pg_ctl start failed: {done.stderr.decode()[-500:]}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/"
    finally:
        run(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def create_database(url_prefix: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url_prefix.replace("postgresql+psycopg", "postgresql") + "postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url_prefix + name
