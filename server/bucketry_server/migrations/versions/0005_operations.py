"""operations and operation_chunks: storage operations that outlive a request

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _key() -> sa.types.TypeEngine[str]:
    return sa.String(length=1024).with_variant(sa.String(length=1024, collation="C"), "postgresql")


def _lease() -> list[sa.Column[object]]:
    return [
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
    ]


def _progress() -> list[sa.Column[object]]:
    return [
        sa.Column("items_done", sa.BigInteger(), nullable=False),
        sa.Column("items_total", sa.BigInteger(), nullable=True),
        sa.Column("bytes_done", sa.BigInteger(), nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=True),
        sa.Column("token_id", sa.String(length=40), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        *_progress(),
        sa.Column("error_status", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("plan_after", _key(), nullable=True),
        *_lease(),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "idempotency_key", name="uq_operations_owner_idem"),
    )
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.create_index("ix_operations_owner_created", ["owner_id", "created_at", "id"])
        batch_op.create_index("ix_operations_org_created", ["org_id", "created_at", "id"])
        batch_op.create_index("ix_operations_status_planned", ["status", "planned"])
    op.create_table(
        "operation_chunks",
        sa.Column("operation_id", sa.String(length=40), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("range_after", _key(), nullable=True),
        sa.Column("range_last", _key(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        *_lease(),
        sa.Column("attempts", sa.Integer(), nullable=False),
        *_progress(),
        sa.Column("checkpoint", _key(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("saved_items", sa.BigInteger(), nullable=False),
        sa.Column("saved_bytes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("operation_id", "idx"),
    )
    with op.batch_alter_table("operation_chunks", schema=None) as batch_op:
        batch_op.create_index("ix_operation_chunks_status", ["status", "lease_expires_at"])
        batch_op.create_index("ix_operation_chunks_owner_status", ["owner_id", "status"])


def downgrade() -> None:
    op.drop_table("operation_chunks")
    op.drop_table("operations")
