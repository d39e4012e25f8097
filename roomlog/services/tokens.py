"""API tokens: created once (the value is shown a single time), stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from roomlog.messages import N_
from roomlog.models import ApiToken, User
from roomlog.models.base import utcnow
from roomlog.models.codes import Role
from roomlog.services import DomainError, audit

#: Every token starts with this, so a leaked one is easy to recognise in logs and code.
TOKEN_MARK = "rlg_"  # noqa: S105 (a public marker at the start of every token, not a secret)  # nosec B105
TOKEN_ROLES = frozenset({Role.MUNICIPALITY, Role.NATIONAL})
PREFIX_LENGTH = 12
#: ``last_used_at`` is written at most this often: a pull of many pages is one use, not a database write per page.
LAST_USED_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    """A freshly created token: ``value`` is the only copy of the secret and is never stored."""

    token: ApiToken
    value: str


def token_hash(value: str) -> str:
    """Return the hex SHA-256 of a token value (tokens are random, so no salt or slow hash is needed)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str = "", actor: User | None = None) -> NewToken:
    """Create a token for a municipality or national user and return its value once."""
    if user.role not in TOKEN_ROLES:
        raise DomainError(N_("Only municipality and national users can have API tokens."))
    if not user.active:
        raise DomainError(N_("The user is disabled."))
    name = (name or "").strip()
    if len(name) > 120:
        raise DomainError(N_("A token name is at most 120 characters."))
    value = TOKEN_MARK + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=token_hash(value), prefix=value[:PREFIX_LENGTH])
    session.add(token)
    session.flush()
    audit.record(
        session,
        "token.create",
        user_id=actor.id if actor else None,
        entity="api_token",
        entity_id=token.id,
        changes={"owner": user.username, "name": name, "prefix": token.prefix},
    )
    return NewToken(token, value)


def revoke_token(session: Session, token: ApiToken, actor: User | None = None) -> None:
    """Revoke a token at once; requests with it get 401 from now on."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    session.flush()
    audit.record(
        session,
        "token.revoke",
        user_id=actor.id if actor else None,
        entity="api_token",
        entity_id=token.id,
        changes={"prefix": token.prefix},
    )


def revoke_all_tokens(session: Session, user: User, actor: User | None = None) -> int:
    """Revoke every live token of ``user`` (the user was disabled); return how many."""
    live = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))))
    for token in live:
        revoke_token(session, token, actor=actor)
    return len(live)


def find_token(session: Session, value: str) -> ApiToken | None:
    """Return the stored token with this value, its owner loaded with it (one statement); ``None`` if there is none.

    Whether it may be used is :func:`live_token`'s question.
    """
    if not value or not value.startswith(TOKEN_MARK) or len(value) > 200:
        return None
    digest = token_hash(value)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest).options(joinedload(ApiToken.user)))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return token


def live_token(token: ApiToken | None) -> ApiToken | None:
    """Return ``token`` if it may be used (not revoked, owner active and allowed), marking it used; else None."""
    if token is None or token.revoked_at is not None or not token.user.active or token.user.role not in TOKEN_ROLES:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now
    return token


def tokens_listing(session: Session) -> list[ApiToken]:
    """Return every token, newest first (the admin list)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
