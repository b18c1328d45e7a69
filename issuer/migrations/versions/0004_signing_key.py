"""The key each credential was signed with, for that key's issuance record.

When the national authority retires a centre's key or finds it compromised, the centre exports
the record of what it signed with that key (`skillpass issuance-record`); the column lets the
export select by key without parsing every credential. Existing rows get it from their JWS
header.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from passport.b64 import b64u_decode

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("kid", sa.String(12), nullable=True))
    op.create_index("ix_credentials_kid", "credentials", ["kid"])
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, jws FROM credentials")).all()
    for credential_id, compact in rows:
        header = json.loads(b64u_decode(compact.split(".", 1)[0]))
        connection.execute(sa.text("UPDATE credentials SET kid = :k WHERE id = :i"),
                           {"k": str(header.get("kid", ""))[:12], "i": credential_id})


def downgrade() -> None:
    op.drop_index("ix_credentials_kid", "credentials")
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("kid")
