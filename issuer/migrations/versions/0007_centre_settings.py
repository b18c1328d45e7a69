"""Centre settings, and the day's identity holds.

- `centre_settings`: one row per setting an admin changes on the settings page (a missing
  row is the setting's default, see issuer.service.settings). The first is whether assessors
  may register walk-in candidates.
- `identity_holds`: the national ID number typed at registration, encrypted with the centre's
  key, kept only until the end of that registration's working day (REGISTRATION_HOLD) so an
  assessor who saw the ID card at registration issues without typing the number again. The
  credential's salted hash needs the whole number at signing; nothing else does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "centre_settings",
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("changed_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False))
    op.create_table(
        "identity_holds",
        sa.Column("candidate_id", sa.Integer, sa.ForeignKey("candidates.id"), primary_key=True),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True))


def downgrade() -> None:
    op.drop_table("identity_holds")
    op.drop_table("centre_settings")
