"""Initial schema: users, tokens, candidates, evidence, assessments, credentials, status, audit."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(60), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", tz, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("name_km", sa.String(80), nullable=False),
        sa.Column("birth_date", sa.String(10), nullable=False),
        sa.Column("national_id_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("national_id_last4", sa.String(4), nullable=False),
        sa.Column("phone", sa.String(30), nullable=False),
        sa.Column("province", sa.String(60), nullable=False),
        sa.Column("occupation_abroad", sa.String(120), nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    )
    op.create_index("ix_candidates_name", "candidates", ["name"])
    op.create_table(
        "evidence",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("media_type", sa.String(60), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("uploaded_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("uploaded_at", tz, nullable=False),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("candidate_id", sa.Integer, sa.ForeignKey("candidates.id"), nullable=False),
        sa.Column("rubric_id", sa.String(40), nullable=False),
        sa.Column("rubric_version", sa.Integer, nullable=False),
        sa.Column("rubric_sha256", sa.String(64), nullable=False),
        sa.Column("assessor_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("judgments", sa.JSON, nullable=False),
        sa.Column("decision", sa.JSON, nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", tz, nullable=False),
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("candidate_id", sa.Integer, sa.ForeignKey("candidates.id"), nullable=False),
        sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id"), nullable=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("achievement_type", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status_list", sa.Integer, nullable=False),
        sa.Column("status_index", sa.Integer, nullable=False),
        sa.Column("jws", sa.Text, nullable=False),
        sa.Column("qr", sa.Text, nullable=False),
        sa.Column("issued_at", tz, nullable=False),
        sa.Column("issued_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("suspended", sa.Boolean, nullable=False),
        sa.Column("status_reason", sa.String(300), nullable=False),
        sa.Column("status_changed_at", tz, nullable=True),
        sa.UniqueConstraint("status_list", "status_index", name="uq_status_slot"),
    )
    op.create_table(
        "status_counters",
        sa.Column("list_id", sa.Integer, primary_key=True),
        sa.Column("next_index", sa.Integer, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(60), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
    )
    op.bulk_insert(sa.table("status_counters", sa.column("list_id", sa.Integer),
                            sa.column("next_index", sa.Integer)),
                   [{"list_id": 1, "next_index": 0}])
    op.bulk_insert(sa.table("audit_head", sa.column("id", sa.Integer),
                            sa.column("last_hash", sa.String), sa.column("last_seq", sa.Integer)),
                   [{"id": 1, "last_hash": "0" * 64, "last_seq": 0}])
