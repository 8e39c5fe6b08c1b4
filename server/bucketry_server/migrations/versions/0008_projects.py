"""projects, assets, labels: tables and the indexes of the keyset pages and common filters

``asset_meta`` (top-level scalars of ``json_metadata``) and ``asset_categories`` (category
counts of an asset's latest label) make ``metadata_where`` and ``label_category_search`` plain
indexed SQL on SQLite and PostgreSQL alike. ``assets.connection_id``/``source_key`` are filled
by connections (the lead re-chains ``down_revision`` at merge).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KEY = sa.String(length=1024).with_variant(sa.String(length=1024, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("input_type", sa.String(length=20), nullable=False),
        sa.Column("json_interface", sa.JSON(), nullable=True),
        sa.Column("owner_id", sa.String(length=40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("org_id", sa.String(length=40), sa.ForeignKey("orgs.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_projects_owner_id", "projects", ["owner_id"])
    op.create_index("ix_projects_org_id", "projects", ["org_id"])
    op.create_index("ix_projects_created_id", "projects", ["created_at", "id"])
    op.create_table(
        "assets",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column(
            "project_id",
            sa.String(length=40),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("json_content", sa.JSON(), nullable=True),
        sa.Column("external_id", KEY, nullable=False),
        sa.Column("json_metadata", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("consensus_mark", sa.Float(), nullable=True),
        sa.Column("honeypot_mark", sa.Float(), nullable=True),
        sa.Column("is_honeypot", sa.Boolean(), nullable=False),
        sa.Column("is_used_for_consensus", sa.Boolean(), nullable=False),
        sa.Column("to_be_labeled_by", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("latest_label_id", sa.String(length=40), nullable=True),
        sa.Column("connection_id", sa.String(length=40), nullable=True),
        sa.Column("source_key", KEY, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("project_id", "external_id", name="uq_assets_project_external_id"),
    )
    op.create_index("ix_assets_project_id", "assets", ["project_id", "id"])
    op.create_index("ix_assets_project_status", "assets", ["project_id", "status", "id"])
    op.create_index("ix_assets_project_updated", "assets", ["project_id", "updated_at"])
    op.create_index(
        "ix_assets_project_connection_source",
        "assets",
        ["project_id", "connection_id", "source_key"],
    )
    op.create_table(
        "asset_meta",
        sa.Column(
            "asset_id",
            sa.String(length=40),
            sa.ForeignKey("assets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(length=200), primary_key=True),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("text_value", sa.String(length=500), nullable=True),
        sa.Column("num_value", sa.Float(), nullable=True),
    )
    op.create_index(
        "ix_asset_meta_text", "asset_meta", ["project_id", "key", "text_value", "asset_id"]
    )
    op.create_index(
        "ix_asset_meta_num", "asset_meta", ["project_id", "key", "num_value", "asset_id"]
    )
    op.create_table(
        "asset_categories",
        sa.Column(
            "asset_id",
            sa.String(length=40),
            sa.ForeignKey("assets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("job", sa.String(length=200), primary_key=True),
        sa.Column("category", sa.String(length=200), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "labels",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column(
            "asset_id",
            sa.String(length=40),
            sa.ForeignKey("assets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author_id", sa.String(length=40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("label_type", sa.String(length=12), nullable=False),
        sa.Column("json_response", sa.JSON(), nullable=False),
        sa.Column("consensus_mark", sa.Float(), nullable=True),
        sa.Column("honeypot_mark", sa.Float(), nullable=True),
        sa.Column("seconds_to_label", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_labels_asset_id", "labels", ["asset_id", "id"])


def downgrade() -> None:
    op.drop_table("labels")
    op.drop_table("asset_categories")
    op.drop_table("asset_meta")
    op.drop_table("assets")
    op.drop_table("projects")
