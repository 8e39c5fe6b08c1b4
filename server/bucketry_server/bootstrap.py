"""Creating users, organizations and tokens outside HTTP (first start, CLI)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Database
from .ids import new_id
from .models import Membership, Org, Token, User
from .security import hash_secret, new_secret
from .timeutil import utcnow

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


def issue_token(
    s: Session,
    user: User,
    name: str,
    *,
    kind: str = "token",
    id_prefix: str = "tok",
    expires_in: int | None = None,
    bucket_ids: list[str] | None = None,
    read_only: bool = False,
) -> tuple[Token, str]:
    """Store a new bearer secret (hashed) and return it once."""
    secret = new_secret({"token": "pat", "tmp": "tmp", "cred": "crd"}[kind])
    token = Token(
        id=new_id(id_prefix),
        kind=kind,
        user_id=user.id,
        name=name,
        secret_hash=hash_secret(secret),
        prefix=secret[:12],
        bucket_ids=bucket_ids,
        read_only=read_only,
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(seconds=expires_in) if expires_in else None,
    )
    s.add(token)
    s.flush()
    return token, secret


def ensure_org(s: Session, slug: str, role: str, user: User) -> Org:
    if not NAME_RE.match(slug) or len(slug) > 64:
        raise ValueError(f"invalid organization slug {slug!r}")
    org = s.scalar(select(Org).where(Org.slug == slug))
    if org is None:
        org = Org(id=new_id("org"), slug=slug, name=slug, created_at=utcnow())
        s.add(org)
        s.flush()
    if s.get(Membership, (org.id, user.id)) is None:
        s.add(Membership(org_id=org.id, user_id=user.id, role=role))
    return org


def create_user(
    db: Database,
    name: str,
    *,
    org: str | None = None,
    admin: bool = False,
    email: str | None = None,
) -> tuple[User, str]:
    """Create a user (optionally joining/creating an org) and return a fresh token for them."""
    if not NAME_RE.match(name):
        raise ValueError(f"invalid user name {name!r}: lowercase letters, digits, '_.-'")
    with db.session() as s:
        if s.scalar(select(User).where(User.name == name)) is not None:
            raise ValueError(f"user {name!r} already exists")
        user = User(id=new_id("usr"), name=name, email=email, is_admin=admin, created_at=utcnow())
        s.add(user)
        s.flush()
        if org:
            existing = s.scalar(select(Org).where(Org.slug == org))
            ensure_org(s, org, "member" if existing else "owner", user)
        _, secret = issue_token(s, user, "initial")
        return user, secret


def create_token(db: Database, user_name: str, name: str = "cli") -> str:
    with db.session() as s:
        user = s.scalar(select(User).where(User.name == user_name))
        if user is None:
            raise ValueError(f"no user named {user_name!r}")
        _, secret = issue_token(s, user, name)
        return secret


def ensure_admin(db: Database, data_dir: Path) -> str | None:
    """On first start create ``admin`` and return its token (also written 0600 to the data dir)."""
    with db.session() as s:
        if s.scalar(select(User.id).limit(1)) is not None:
            return None
    _, secret = create_user(db, "admin", admin=True)
    path = data_dir / "admin.token"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also if an older file was there
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return secret
