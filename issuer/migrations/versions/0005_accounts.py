"""Accounts and sessions: server-side sessions, forced password changes, token expiry,
login throttling shared by every process.

- `users.must_change_password`: the holder must choose a new password before anything else.
  Accounts `skillpass init` created (actor `@cli` in the audit log) still have the one-time
  password it printed, as far as the database can tell: they get the flag.
- `users.password_changed_at`
- `api_tokens.expires_at`, `api_tokens.revoked_at`
- `web_sessions`: one row per signed-in browser (the SHA-256 of the cookie's key)
- `login_throttle`: failed sign-ins per account and per client address
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True),
                                   nullable=True))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "web_sessions",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    op.create_table(
        "login_throttle",
        sa.Column("scope", sa.String(10), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_login_throttle_window_start", "login_throttle", ["window_start"])
    connection = op.get_bind()
    created_by_init = connection.execute(sa.text(
        "SELECT subject FROM audit_log WHERE action = 'user.create' AND actor = '@cli'")).scalars()
    for subject in created_by_init:
        connection.execute(sa.text("UPDATE users SET must_change_password = :t "
                                   "WHERE username = :u AND password_changed_at IS NULL"),
                           {"t": True, "u": subject.removeprefix("user:")})


def downgrade() -> None:
    op.drop_index("ix_login_throttle_window_start", "login_throttle")
    op.drop_table("login_throttle")
    op.drop_index("ix_web_sessions_expires_at", "web_sessions")
    op.drop_index("ix_web_sessions_user_id", "web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("must_change_password")
