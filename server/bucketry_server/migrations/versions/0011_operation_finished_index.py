"""operations.finished_at index: the janitor's retention purge finds operations that ended
before a cutoff by a range scan instead of reading every finished row each round

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_operations_finished", "operations", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_operations_finished", table_name="operations")
