"""Bearer-token authentication (the API's): no cookies, no session, no CSRF (on purpose).

The shared access layer: it says whether a request's token is good and sets the tenant scope
from its owner; the API blueprint turns a refusal into its 401 response.
"""

from __future__ import annotations

from flask import g, request
from sqlalchemy import select

from roomlog.auth.scoping import set_scope
from roomlog.database import commit_keeping_loaded
from roomlog.extensions import db
from roomlog.messages import N_, Message
from roomlog.models import ApiToken, Room
from roomlog.models.codes import Role
from roomlog.services.tokens import find_token, live_token

#: The challenge a refused request gets (RFC 6750).
CHALLENGE = ("WWW-Authenticate", 'Bearer realm="roomlog"')


def bearer_value() -> str:
    """The token from ``Authorization: Bearer …`` (empty if there is none)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def rate_limit_key() -> str:
    """Rate-limit bucket: the token's id for a known token, else the client address."""
    token = _stored_token()
    return f"token:{token.id}" if token is not None else f"address:{request.remote_addr or 'unknown'}"


def _stored_token() -> ApiToken | None:
    """The stored token the request's bearer value names, with its owner: looked up once a request.

    The limiter (its bucket) and the authentication (:func:`require_token`) both ask; the row is
    read when first asked, in the request's transaction, and used for both.
    """
    if "api_token_found" not in g:
        g.api_token_found = find_token(db.session, bearer_value())
    found: ApiToken | None = g.api_token_found
    return found


def require_token() -> Message | None:
    """Authenticate the request's token and set the tenant scope from its owner; else why not."""
    if not bearer_value():
        return Message(N_("missing bearer token: send 'Authorization: Bearer <token>'"))
    token = live_token(_stored_token())
    if token is None:
        db.session.rollback()
        return Message(N_("invalid or revoked token"))
    if db.session.dirty:  # last_used_at, when due (services.tokens.LAST_USED_EVERY)
        commit_keeping_loaded(db.session())  # the token and its owner stay loaded: nothing is read again
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
