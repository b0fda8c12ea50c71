"""export_time_evidence.job_type: what kind of job the evidence's job is.

A Midjourney archive says, per job, what the job is (``job_type``: ``v7_diffusion`` for a grid,
``v7_upsample`` / ``v6_upscale_creative`` for an upscale, ``v7_variation`` for a vary …). Lineage takes
the kind of a child's link to its parent job from ``extra["job_type"]``
(``engine.sessions.lineage``); a Midjourney download does not say it and has no pixel size to tell an
upscale by, so an upscale was labelled a variation. The job type is now stored with the evidence
(``catalog.importing.export_evidence`` copies it into the ``extra`` of the assets of that job).
Existing evidence has none (the archive's other fields were not kept): importing the same archive
again fills it in. Text of at most 80 characters (Midjourney's are about 20).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # nullable without a default: PostgreSQL adds the column without rewriting the table
    op.add_column("export_time_evidence", sa.Column("job_type", sa.String(80), nullable=True))


def downgrade() -> None:
    op.drop_column("export_time_evidence", "job_type")
