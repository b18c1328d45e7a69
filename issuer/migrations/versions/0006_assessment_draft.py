"""Assessment drafts: what an assessor has entered on the form so far, kept server-side.

- `assessments.draft`: the form as last submitted or saved (per-unit shortcuts, per-criterion
  results, methods, occasion dates, uploaded evidence hashes). A tablet that sleeps, or a
  validation error, loses nothing; the recorded judgments stay the engine's valid input.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("draft", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("draft")
