"""One store: status lists and the slot allocator in the database; the command line's account.

- `status_lists`: each list's bits and its cached signed credential, per purpose and number;
  list 1 starts from the credentials' recorded statuses (signed at first publication).
- `status_allocator`: the one row slots are taken from (was `status_counters`).
- `credentials.request_key` (an input issued twice finds its first credential) and
  `credentials.shared_slot` (see issuer.wave1); the unique slot constraint becomes a partial
  unique index that exempts shared slots.
- `candidates.birth_year`; `birth_date` and `national_id_hash` may be empty (a batch row
  carries the year only; an imported credential carries no full ID number).
- the `@cli` account the command line acts as (inactive, no password).
- an earlier version's status files in the home are imported (issuer.wave1).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision = "0001"

LIST_BYTES = 131_072 // 8


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("birth_year", sa.Integer, nullable=True))
        batch.alter_column("birth_date", existing_type=sa.String(10), nullable=True)
        batch.alter_column("national_id_hash", existing_type=sa.String(64), nullable=True)
    op.execute("UPDATE candidates SET birth_year = CAST(SUBSTR(birth_date, 1, 4) AS INTEGER)")
    with op.batch_alter_table("candidates") as batch:
        batch.alter_column("birth_year", existing_type=sa.Integer, nullable=False)

    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("request_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("shared_slot", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.drop_constraint("uq_status_slot", type_="unique")
        batch.create_unique_constraint("uq_credentials_request_key", ["request_key"])
    op.create_index("uq_status_slot", "credentials", ["status_list", "status_index"], unique=True,
                    sqlite_where=sa.text("NOT shared_slot"),
                    postgresql_where=sa.text("NOT shared_slot"))

    tz = sa.DateTime(timezone=True)
    op.create_table(
        "status_lists",
        sa.Column("purpose", sa.String(20), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("bits", sa.LargeBinary, nullable=False),
        sa.Column("changed_at", tz, nullable=False),
        sa.Column("jws", sa.Text, nullable=True),
        sa.Column("etag", sa.String(64), nullable=True),
        sa.Column("valid_from", tz, nullable=True),
        sa.Column("valid_until", tz, nullable=True),
    )
    op.create_table(
        "status_allocator",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("list_number", sa.Integer, nullable=False),
        sa.Column("next_index", sa.Integer, nullable=False),
    )
    counted = connection.execute(sa.text(
        "SELECT next_index FROM status_counters WHERE list_id = 1")).scalar()
    op.bulk_insert(sa.table("status_allocator", sa.column("id", sa.Integer),
                            sa.column("list_number", sa.Integer),
                            sa.column("next_index", sa.Integer)),
                   [{"id": 1, "list_number": 1, "next_index": int(counted or 0)}])
    op.drop_table("status_counters")

    now = datetime.now(UTC)
    lists = sa.table("status_lists", sa.column("purpose", sa.String),
                     sa.column("number", sa.Integer), sa.column("bits", sa.LargeBinary),
                     sa.column("changed_at", tz))
    for purpose, column in (("revocation", "revoked"), ("suspension", "suspended")):
        bits = bytearray(LIST_BYTES)
        for (index,) in connection.execute(sa.text(
                f"SELECT status_index FROM credentials WHERE status_list = 1 AND {column}")):
            bits[index // 8] |= 0x80 >> (index % 8)
        connection.execute(sa.insert(lists).values(purpose=purpose, number=1, bits=bytes(bits),
                                                   changed_at=now))

    users = sa.table("users", sa.column("username", sa.String),
                     sa.column("password_hash", sa.String), sa.column("role", sa.String),
                     sa.column("active", sa.Boolean), sa.column("created_at", tz))
    connection.execute(sa.insert(users).values(username="@cli", password_hash="!", role="admin",
                                               active=False, created_at=now))

    from issuer import wave1

    attributes = context.config.attributes
    wave1.import_home(connection, attributes.get("home"), attributes.get("wave1"))


def downgrade() -> None:
    raise NotImplementedError("the earlier version's status files cannot be recreated")
