"""blobs.crc32c and upload_parts.crc32c: the default transfer checksum (base64 of the
big-endian CRC32C, as ``X-Checksum-CRC32C``)

Rows stored before this revision keep NULL: their blobs keep their SHA-256, and a multipart
upload with such a part gets no CRC at completion.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("blobs", "upload_parts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("crc32c", sa.String(length=8), nullable=True))


def downgrade() -> None:
    for table in ("upload_parts", "blobs"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("crc32c")
