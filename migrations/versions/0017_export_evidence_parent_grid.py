"""export_time_evidence.parent_grid: which image of its parent job's grid a job was made from.

A Midjourney archive says, per upscale / vary job, which image (0-3) of the parent job's grid it
came from (``parent_grid``); lineage links the child to that image (``engine.sessions.lineage``).
The evidence kept it only in memory, so images imported after their archive never got it. It is now
stored with the evidence (``catalog.importing.export_evidence`` copies it into the matching assets'
``extra["parent_grid"]``). Existing evidence has none (the archive's other fields were not kept):
importing the same archive again fills it in. A small integer, 0-63 as lineage reads it.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # nullable without a default: PostgreSQL adds the column without rewriting the table
    op.add_column("export_time_evidence", sa.Column("parent_grid", sa.SmallInteger(), nullable=True))
    op.create_check_constraint(
        "ck_export_evidence_parent_grid", "export_time_evidence", "parent_grid BETWEEN 0 AND 63"
    )


def downgrade() -> None:
    op.drop_constraint("ck_export_evidence_parent_grid", "export_time_evidence", type_="check")
    op.drop_column("export_time_evidence", "parent_grid")
