"""Users and organizations: creation outside HTTP (first start, CLI) and the caller's profile."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Database
from ..errors import not_found
from ..ids import new_id
from ..models import Membership, Org, User
from ..timeutil import iso, utcnow
from .principals import Principal
from .tokens import issue_token

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


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


def user_profile(s: Session, p: Principal) -> dict[str, Any]:
    """The calling user with their organizations (``UserSelf``); 401 if anonymous."""
    uid = p.require_user()
    user = s.get(User, uid)
    if user is None:
        raise not_found("user")
    rows = s.execute(
        select(Org, Membership.role)
        .join(Membership, Membership.org_id == Org.id)
        .where(Membership.user_id == uid)
        .order_by(Org.slug)
    ).all()
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "is_admin": user.is_admin,
        "orgs": [{"slug": o.slug, "name": o.name, "role": role} for o, role in rows],
        "created_at": iso(user.created_at),
        "auth_kind": {"token": "token", "tmp": "tmp_credentials", "cred": "credentials"}.get(
            p.kind
        ),
    }
