"""Bearer-token authentication (the API's): no cookies, no session, no CSRF (on purpose).

The shared access layer: it says whether a request's token is good and sets the tenant scope
from its owner; the API blueprint turns a refusal into its 401 response.
"""

from __future__ import annotations

import hashlib

from flask import g, request
from sqlalchemy import select

from roomlog.auth.scoping import set_scope
from roomlog.extensions import db
from roomlog.messages import N_, Message
from roomlog.models import ApiToken, Room
from roomlog.models.codes import Role
from roomlog.services.tokens import authenticate

#: The challenge a refused request gets (RFC 6750).
CHALLENGE = ("WWW-Authenticate", 'Bearer realm="roomlog"')


def bearer_value() -> str:
    """The token from ``Authorization: Bearer …`` (empty if there is none)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def rate_limit_key() -> str:
    """Rate-limit bucket: the token's id for a known token, else the client address (looked up once a request)."""
    found: str | None = g.get("rate_limit_key")
    if found is None:
        found = g.rate_limit_key = _rate_limit_key()
    return found


def _rate_limit_key() -> str:
    value = bearer_value()
    if value:
        digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest))
        if token_id is not None:
            return f"token:{token_id}"
    return f"address:{request.remote_addr or 'unknown'}"


def require_token() -> Message | None:
    """Authenticate the request's token and set the tenant scope from its owner; else why not."""
    value = bearer_value()
    if not value:
        return Message(N_("missing bearer token: send 'Authorization: Bearer <token>'"))
    token = authenticate(db.session, value)
    if token is None:
        db.session.rollback()
        return Message(N_("invalid or revoked token"))
    db.session.commit()  # last_used_at, when due (services.tokens.LAST_USED_EVERY)
    owner = token.user
    g.api_token_id = token.id
    g.api_national = owner.role == Role.NATIONAL
    g.api_municipality = None if g.api_national else owner.municipality_code
    if g.api_national:
        set_scope(None)
    else:
        ids = db.session.scalars(select(Room.id).where(Room.municipality_code == owner.municipality_code))
        set_scope(frozenset(ids))  # the ORM criteria and PostgreSQL's row-level security
    return None
