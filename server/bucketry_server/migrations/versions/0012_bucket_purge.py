"""buckets.deleted_at: a forced delete hides the bucket at once and its blobs are purged in
the background (``buckets.deletion``); the index lets the purge find such buckets

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("buckets") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
    op.create_index("ix_buckets_deleted", "buckets", ["deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_buckets_deleted", table_name="buckets")
    with op.batch_alter_table("buckets") as batch:
        batch.drop_column("deleted_at")
