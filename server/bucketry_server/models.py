"""Database tables (SQLAlchemy 2). Alembic migrations in ``migrations/`` create and upgrade them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .timeutil import utcnow

# Keys sort by bytes everywhere (SQLite's BINARY collation; "C" on PostgreSQL) so keyset
# pagination and the SDK's sorted-merge diff agree on one order.
KeyString = String(1024).with_variant(String(1024, collation="C"), "postgresql")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Org(Base):
    __tablename__ = "orgs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), default="member")


class Token(Base):
    """Every bearer secret: personal tokens, temporary bucket credentials, persistent credentials.

    Only a SHA-256 of the secret is stored. ``bucket_ids`` (JSON list) scopes tmp/persistent
    credentials; None means the user's full rights.
    """

    __tablename__ = "tokens"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # token | tmp | cred
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    bucket_ids: Mapped[list[str] | None] = mapped_column(JSON)
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (
        Index("ix_tokens_user_kind", "user_id", "kind", "created_at"),
        Index("ix_tokens_expires", "expires_at"),
    )


class Bucket(Base):
    __tablename__ = "buckets"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(63))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(20), default="MANAGED")
    provider_bucket: Mapped[str | None] = mapped_column(String(1024))
    prefix: Mapped[str | None] = mapped_column(String(1024))
    endpoint_url: Mapped[str | None] = mapped_column(String(2048))
    region: Mapped[str | None] = mapped_column(String(64))
    credentials_enc: Mapped[str | None] = mapped_column(Text)
    #: The kind of credentials sealed in ``credentials_enc`` (never the secret), e.g.
    #: ``KEY_SECRET_KEY_PAIR``; None for managed buckets.
    credentials_type: Mapped[str | None] = mapped_column(String(32))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="AVAILABLE")
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    manifests: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    bytes_used: Mapped[int] = mapped_column(BigInteger, default=0)
    object_count: Mapped[int] = mapped_column(BigInteger, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: When a forced delete took the bucket away (migration 0012); its row stays, renamed to
    #: its id and invisible to every request, until the background purge has deleted its
    #: blobs (``buckets.deletion``). None for a live bucket.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (
        UniqueConstraint("owner_id", "name", name="uq_buckets_owner_name"),
        # The purge finds deleted buckets without reading the live ones.
        Index("ix_buckets_deleted", "deleted_at"),
        # Name lookups and the keyset orders of the listing.
        Index("ix_buckets_name_id", "name", "id"),
        Index("ix_buckets_created_id", "created_at", "id"),
        Index("ix_buckets_updated_id", "updated_at", "id"),
    )


class Blob(Base):
    """Key → object mapping of a managed bucket. The bytes live in the object store."""

    __tablename__ = "blobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bucket_id: Mapped[str] = mapped_column(ForeignKey("buckets.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(KeyString)
    object_id: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(80))
    content_type: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    md5: Mapped[str | None] = mapped_column(String(32))
    #: CRC32C as base64 of its big-endian bytes (``X-Checksum-CRC32C``); NULL for blobs
    #: stored before revision 0006.
    crc32c: Mapped[str | None] = mapped_column(String(8))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (
        UniqueConstraint("bucket_id", "key", name="uq_blobs_bucket_key"),
        Index("ix_blobs_bucket_size", "bucket_id", "size", "key"),
        Index("ix_blobs_bucket_created", "bucket_id", "created_at", "key"),
        Index("ix_blobs_object", "object_id"),
    )


class Upload(Base):
    __tablename__ = "uploads"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    bucket_id: Mapped[str] = mapped_column(ForeignKey("buckets.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(KeyString)
    content_type: Mapped[str | None] = mapped_column(String(255))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    if_none_match: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    #: Set while a completion composes this upload: the id of the object being composed. The
    #: rows stay (a crash must not lose acknowledged parts); the start-up sweep clears it.
    completing: Mapped[str | None] = mapped_column(String(40), default=None)
    #: An imported bucket's upload on the provider's own multipart: the provider's handle
    #: (None: parts are objects of the server's store).
    provider_upload: Mapped[str | None] = mapped_column(String(1024), default=None)
    __table_args__ = (Index("ix_uploads_bucket_key", "bucket_id", "key", "created_at"),)


class UploadPart(Base):
    __tablename__ = "upload_parts"
    upload_id: Mapped[str] = mapped_column(
        ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True
    )
    part_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str | None] = mapped_column(String(64))
    #: The part's CRC32C (base64), combined into the blob's at completion; NULL before 0006.
    crc32c: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: A part stored at the provider (its token for the completion); ``object_id`` is then
    #: empty: the part is no object of the server's store.
    provider_part: Mapped[str | None] = mapped_column(String(1024), default=None)


class ObjectLedger(Base):
    """Objects in flux. ``pending``: being written, not yet referenced by a committed row;
    ``dead``: no longer referenced, to delete from the store. Both are swept at start, so a
    crash at any point leaves neither a visible partial blob nor leaked bytes."""

    __tablename__ = "object_ledger"
    object_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(10))  # pending | dead
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Operation(Base):
    """A storage operation that outlives a request (``operations/``): what it does, whose it
    is, where it stands. The operation's own lease is its planner's (splitting the work into
    chunks); the chunks carry the leases of the workers that run them."""

    __tablename__ = "operations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"))
    #: The token it was started with: chunks re-check access through it (None: gone).
    token_id: Mapped[str | None] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="PENDING")
    items_done: Mapped[int] = mapped_column(BigInteger, default=0)
    items_total: Mapped[int | None] = mapped_column(BigInteger)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int | None] = mapped_column(BigInteger)
    error_status: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_detail: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    #: All chunks are known (the planner finished); ``plan_after`` is where it resumes.
    planned: Mapped[bool] = mapped_column(Boolean, default=False)
    plan_after: Mapped[str | None] = mapped_column(KeyString)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (
        Index("ix_operations_owner_created", "owner_id", "created_at", "id"),
        Index("ix_operations_org_created", "org_id", "created_at", "id"),
        Index("ix_operations_status_planned", "status", "planned"),
        Index("ix_operations_finished", "finished_at"),  # the retention purge
        UniqueConstraint("owner_id", "idempotency_key", name="uq_operations_owner_idem"),
    )


class OperationChunk(Base):
    """One key range of an operation, run by one worker at a time under a lease; re-run from
    ``checkpoint`` when the lease expires (up to the engine's attempt limit)."""

    __tablename__ = "operation_chunks"
    operation_id: Mapped[str] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Copied from the operation: the per-owner concurrency bound counts running chunks.
    owner_id: Mapped[str] = mapped_column(String(40))
    range_after: Mapped[str | None] = mapped_column(KeyString)
    range_last: Mapped[str | None] = mapped_column(KeyString)
    status: Mapped[str] = mapped_column(String(12), default="PENDING")
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    items_done: Mapped[int] = mapped_column(BigInteger, default=0)
    items_total: Mapped[int | None] = mapped_column(BigInteger)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int | None] = mapped_column(BigInteger)
    #: The last key fully done (a re-run resumes after it), with the counters at that point.
    checkpoint: Mapped[str | None] = mapped_column(KeyString)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: What a kind that computes its own result (one chunk) returned (``ctx.set_result``).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    saved_items: Mapped[int] = mapped_column(BigInteger, default=0)
    saved_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (
        Index("ix_operation_chunks_status", "status", "lease_expires_at"),
        Index("ix_operation_chunks_owner_status", "owner_id", "status"),
    )


class Project(Base):
    """A labelling project (Kili's project): visible to its owner and its org's members."""

    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    input_type: Mapped[str] = mapped_column(String(20), default="IMAGE")
    json_interface: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (Index("ix_projects_created_id", "created_at", "id"),)


class Asset(Base):
    """One asset of a project. Ids are time-ordered (``assets.ids``), so the keyset order
    ``(project_id, id)`` is the order of creation. ``connection_id`` and ``source_key`` are set
    for assets a connection created (the blob key they mirror)."""

    __tablename__ = "assets"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(Text, default="")
    json_content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    external_id: Mapped[str] = mapped_column(KeyString)
    json_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="TODO")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    consensus_mark: Mapped[float | None] = mapped_column(Float)
    honeypot_mark: Mapped[float | None] = mapped_column(Float)
    is_honeypot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_used_for_consensus: Mapped[bool] = mapped_column(Boolean, default=False)
    to_be_labeled_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The newest label (any type); ``label_category_search`` reads its categories.
    latest_label_id: Mapped[str | None] = mapped_column(String(40))
    connection_id: Mapped[str | None] = mapped_column(String(40))
    source_key: Mapped[str | None] = mapped_column(KeyString)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (
        UniqueConstraint("project_id", "external_id", name="uq_assets_project_external_id"),
        Index("ix_assets_project_id", "project_id", "id"),
        Index("ix_assets_project_status", "project_id", "status", "id"),
        Index("ix_assets_project_updated", "project_id", "updated_at"),
        Index("ix_assets_project_connection_source", "project_id", "connection_id", "source_key"),
    )


class AssetMeta(Base):
    """One top-level scalar of an asset's ``json_metadata``, kept beside the JSON so that
    ``metadata_where`` is the same indexed SQL on SQLite and PostgreSQL (no JSON functions)."""

    __tablename__ = "asset_meta"
    asset_id: Mapped[str] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: The asset's project, so a count is driven by the index of one project's key/value.
    project_id: Mapped[str] = mapped_column(String(40))
    #: The value as JSON text (``"a"`` -> ``a``, numbers and booleans in JSON spelling).
    text_value: Mapped[str | None] = mapped_column(String(500))
    num_value: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (
        Index("ix_asset_meta_text", "project_id", "key", "text_value", "asset_id"),
        Index("ix_asset_meta_num", "project_id", "key", "num_value", "asset_id"),
    )


class AssetCategory(Base):
    """How many times the asset's latest label names ``category`` in ``job`` (the table
    ``label_category_search`` compiles to)."""

    __tablename__ = "asset_categories"
    asset_id: Mapped[str] = mapped_column(
        ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    job: Mapped[str] = mapped_column(String(200), primary_key=True)
    category: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Label(Base):
    """A label on an asset: its author is the caller who created it."""

    __tablename__ = "labels"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    label_type: Mapped[str] = mapped_column(String(12), default="DEFAULT")
    json_response: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    consensus_mark: Mapped[float | None] = mapped_column(Float)
    honeypot_mark: Mapped[float | None] = mapped_column(Float)
    seconds_to_label: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (Index("ix_labels_asset_id", "asset_id", "id"),)


class Connection(Base):
    """A bucket connected to a project: ``sync`` mirrors the bucket's files below
    ``selected_folders`` (empty: the whole bucket) that match ``include`` (empty: every key) and
    no ``exclude`` glob as assets (``assets.connection_id`` = this id, ``source_key`` = key).
    Visible and changed by whoever sees the project; deleting it leaves the assets, unlinked."""

    __tablename__ = "connections"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    bucket_id: Mapped[str] = mapped_column(ForeignKey("buckets.id", ondelete="CASCADE"))
    selected_folders: Mapped[list[str]] = mapped_column(JSON, default=list)
    include: Mapped[list[str]] = mapped_column(JSON, default=list)
    exclude: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_checked: Mapped[datetime | None] = mapped_column(DateTime)
    number_of_assets: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (
        Index("ix_connections_project", "project_id", "created_at", "id"),
        Index("ix_connections_bucket", "bucket_id", "created_at", "id"),
        Index("ix_connections_created_id", "created_at", "id"),
    )
