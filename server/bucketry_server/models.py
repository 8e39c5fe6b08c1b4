"""Database tables (SQLAlchemy 2). Alembic migrations in ``migrations/`` create and upgrade them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
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
    __table_args__ = (
        UniqueConstraint("owner_id", "name", name="uq_buckets_owner_name"),
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


class ObjectLedger(Base):
    """Objects in flux. ``pending``: being written, not yet referenced by a committed row;
    ``dead``: no longer referenced, to delete from the store. Both are swept at start, so a
    crash at any point leaves neither a visible partial blob nor leaked bytes."""

    __tablename__ = "object_ledger"
    object_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(10))  # pending | dead
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
