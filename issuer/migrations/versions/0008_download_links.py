"""One-time download links: a returnee fetches their credentials onto a phone.

- `download_links`: one row per link the centre handed out (on the credential page, or
  printed on a booklet's cover). The link carries a random token; the row keeps only its
  SHA-256, the candidate, the credentials it covers, who made it and when, when it expires,
  and when it was used (a link is used once).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "download_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("candidate_id", sa.Integer, sa.ForeignKey("candidates.id"), nullable=False),
        sa.Column("credential_ids", sa.JSON, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_download_links_candidate_id", "download_links", ["candidate_id"])


def downgrade() -> None:
    op.drop_index("ix_download_links_candidate_id", "download_links")
    op.drop_table("download_links")
