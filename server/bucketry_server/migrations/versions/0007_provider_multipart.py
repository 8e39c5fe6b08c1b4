"""uploads.provider_upload, upload_parts.provider_part: multipart uploads of imported buckets
on the provider's own (its upload handle, each part's token for the completion)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_upload", sa.String(length=1024), nullable=True))
    with op.batch_alter_table("upload_parts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_part", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("upload_parts", schema=None) as batch_op:
        batch_op.drop_column("provider_part")
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_column("provider_upload")
