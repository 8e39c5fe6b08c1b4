"""connections: a bucket connected to a project (selected folders, include/exclude globs)

Assets a sync creates carry ``assets.connection_id``/``source_key`` (migration 0008). Deleting
a project or a bucket deletes its connections; deleting a connection leaves its assets.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column(
            "project_id",
            sa.String(length=40),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "bucket_id",
            sa.String(length=40),
            sa.ForeignKey("buckets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("selected_folders", sa.JSON(), nullable=False),
        sa.Column("include", sa.JSON(), nullable=False),
        sa.Column("exclude", sa.JSON(), nullable=False),
        sa.Column("last_checked", sa.DateTime(), nullable=True),
        sa.Column("number_of_assets", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.String(length=40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("org_id", sa.String(length=40), sa.ForeignKey("orgs.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_connections_project", "connections", ["project_id", "created_at", "id"])
    op.create_index("ix_connections_bucket", "connections", ["bucket_id", "created_at", "id"])
    op.create_index("ix_connections_created_id", "connections", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("connections")
