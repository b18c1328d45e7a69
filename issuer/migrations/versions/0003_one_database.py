"""One home, one database: the database's id; indexes the candidate pages and slots use.

- `installation`: named values of this database; `database_id` is recorded in the home the
  first time it opens the database, and a home refuses any other (see issuer.migrate).
- indexes on `credentials.candidate_id`, `assessments.candidate_id` (candidate pages, the
  passport, printing) and a plain one on the status slot (a shared slot's credentials are
  outside the partial unique index).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.bulk_insert(sa.table("installation", sa.column("name", sa.String),
                            sa.column("value", sa.String)),
                   [{"name": "database_id", "value": uuid.uuid4().hex}])
    op.create_index("ix_credentials_candidate", "credentials", ["candidate_id"])
    op.create_index("ix_credentials_slot", "credentials", ["status_list", "status_index"])
    op.create_index("ix_assessments_candidate", "assessments", ["candidate_id"])


def downgrade() -> None:
    op.drop_index("ix_assessments_candidate", "assessments")
    op.drop_index("ix_credentials_slot", "credentials")
    op.drop_index("ix_credentials_candidate", "credentials")
    op.drop_table("installation")
