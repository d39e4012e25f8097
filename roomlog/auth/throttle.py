"""Login throttling that stops guessing without locking staff out (NIST SP 800-63B rev. 4, §3.2.2).

Every attempt is counted *before* the password is checked, by one atomic conditional UPDATE
per key (``failures + 1 … WHERE next_allowed_at <= now``): concurrent attempts — several
gunicorn workers, several hosts on PostgreSQL — each get their own count, and an attempt
that arrives during a delay is refused without touching the password. A correct password
resets the counts. Keys are HMACs keyed with ``ROOMLOG_DATA_KEY``: the typed username and
the client address are never stored.

The keys of an attempt:

* a browser that logged in to this account before (a signed *device cookie*, OWASP's
  "device cookies") is counted on its own: an attacker elsewhere cannot slow it down;
* otherwise the **account from this address** (``pair``): ``LOGIN_FREE_FAILURES`` free
  failures, then delays doubling from ``LOGIN_FIRST_DELAY_S`` (2 s) up to ``LOGIN_MAX_DELAY_S`` (15 min);
* and the **account from anywhere** (``account``): at most ``LOGIN_ACCOUNT_LIMIT`` (100, the
  NIST ceiling) consecutive failures, then one attempt an hour until a success or an admin
  clears it;
* the **address** counts failures only, never refuses anyone by itself: past
  ``LOGIN_ADDRESS_LIMIT`` failures in its window (password spraying) the address's
  account pairs get no free failures. A room's tablets behind one router keep logging in
  with their correct passwords, because nothing is keyed to the address alone.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from roomlog.auth import sealing
from roomlog.models import LoginThrottle, User
from roomlog.models.base import utcnow

DEVICE_COOKIE = "roomlog_device"
DEVICE_DAYS = 180
HOURLY = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Attempt:
    """The keys one login attempt was counted under (to reset on success)."""

    keys: tuple[str, ...]
    wait_seconds: int = 0

    @property
    def refused(self) -> bool:
        return self.wait_seconds > 0


def _key(kind: str, value: str) -> str:
    return sealing.keyed_hashes(f"{kind}:{value}")[0]


def delay_after(failures: int, free: int) -> dt.timedelta:
    """Return how long the next attempt waits after ``failures`` consecutive failures."""
    if failures >= current_app.config["LOGIN_ACCOUNT_LIMIT"]:
        return HOURLY
    if failures < free:
        return dt.timedelta(0)
    first = current_app.config["LOGIN_FIRST_DELAY_S"]
    return dt.timedelta(seconds=min(first * 2 ** (failures - free), current_app.config["LOGIN_MAX_DELAY_S"]))


def _ensure(session: Session, key: str, kind: str, user_id: int | None, now: dt.datetime) -> None:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # same on_conflict_do_nothing API
    row = {"key_hash": key, "kind": kind, "user_id": user_id, "failures": 0, "next_allowed_at": now, "updated_at": now}
    session.execute(insert(LoginThrottle).values(**row).on_conflict_do_nothing(index_elements=["key_hash"]))


def claim(session: Session, key: str, kind: str, user_id: int | None, free: int) -> int:
    """Count one attempt under ``key`` if it may be made now; return seconds to wait (0: go ahead)."""
    now = utcnow()
    _ensure(session, key, kind, user_id, now)
    failures = session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key_hash == key, LoginThrottle.next_allowed_at <= now)
        .values(failures=LoginThrottle.failures + 1, updated_at=now)
        .returning(LoginThrottle.failures)
    ).scalar()
    if failures is None:  # inside a delay (another attempt may have just claimed it)
        until = session.scalar(select(LoginThrottle.next_allowed_at).where(LoginThrottle.key_hash == key))
        return max(1, int(((until or now) - now).total_seconds() + 0.999))
    wait = delay_after(failures, free)
    if wait:
        session.execute(update(LoginThrottle).where(LoginThrottle.key_hash == key).values(next_allowed_at=now + wait))
    return 0


def _address_spraying(session: Session, address_key: str) -> bool:
    failures = session.scalar(
        select(LoginThrottle.failures).where(
            LoginThrottle.key_hash == address_key, LoginThrottle.next_allowed_at > utcnow()
        )
    )
    limit: int = current_app.config["LOGIN_ADDRESS_LIMIT"]
    return (failures or 0) >= limit


def device_user_id(cookie: str | None) -> tuple[int, str] | None:
    """Return (user id, device id) of a valid device cookie."""
    if not cookie:
        return None
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="roomlog-device").loads(cookie)
    except BadSignature:
        return None
    return int(data["u"]), str(data["d"])


def begin(session: Session, username: str, user: User | None) -> Attempt:
    """Count a password attempt for the typed ``username`` (``user`` if it names one) before checking it."""
    name = username.strip().lower()[:64]
    user_id = user.id if user else None
    device = device_user_id(request.cookies.get(DEVICE_COOKIE))
    if device is not None and user is not None and device[0] == user.id:
        key = _key("device", device[1])
        return Attempt((key,), claim(session, key, "device", user_id, current_app.config["LOGIN_FREE_FAILURES"]))
    address = request.remote_addr or "unknown"
    free = 0 if _address_spraying(session, _key("address", address)) else current_app.config["LOGIN_FREE_FAILURES"]
    pair = _key("pair", f"{name}\x00{address}")
    wait = claim(session, pair, "pair", user_id, free)
    if wait:
        return Attempt((pair,), wait)
    account = _key("account", name)
    return Attempt(
        (pair, account), claim(session, account, "account", user_id, current_app.config["LOGIN_ACCOUNT_LIMIT"])
    )


def failed(session: Session) -> None:
    """Count a failed password against this address's window (spraying detection)."""
    now = utcnow()
    key = _key("address", request.remote_addr or "unknown")
    window = dt.timedelta(seconds=current_app.config["LOGIN_ADDRESS_WINDOW_S"])
    _ensure(session, key, "address", None, now)
    expired = LoginThrottle.next_allowed_at <= now
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key_hash == key)
        .values(
            failures=case((expired, 1), else_=LoginThrottle.failures + 1),
            next_allowed_at=case((expired, now + window), else_=LoginThrottle.next_allowed_at),
            updated_at=now,
        )
    )


def succeeded(session: Session, attempt: Attempt) -> None:
    """Reset the counts of a successful attempt."""
    now = utcnow()
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key_hash.in_(attempt.keys))
        .values(failures=0, next_allowed_at=now, updated_at=now)
    )


def remember_device(response: Response, user: User) -> None:
    """Give this browser a device cookie for ``user`` (it then has its own count)."""
    value = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="roomlog-device").dumps(
        {"u": user.id, "d": secrets.token_urlsafe(16)}
    )
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_DAYS * 86400,
        path="/auth/",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def second_factor(session: Session, user: User) -> Attempt:
    """Count a second-factor attempt of ``user`` before checking the code."""
    key = _key("second-factor", str(user.id))
    return Attempt((key,), claim(session, key, "second-factor", user.id, current_app.config["LOGIN_FREE_FAILURES"]))


def active(session: Session) -> list[LoginThrottle]:
    """Return the counts an admin may look at: every key with failures, newest first."""
    return list(
        session.scalars(
            select(LoginThrottle).where(LoginThrottle.failures > 0).order_by(LoginThrottle.updated_at.desc())
        )
    )


def clear(session: Session, key: str) -> LoginThrottle | None:
    """Clear one count (an admin helping a user); return it, or None if unknown."""
    row = session.get(LoginThrottle, key)
    if row is not None:
        row.failures, row.next_allowed_at = 0, utcnow()
    return row


def account_limit() -> int:
    """Return the consecutive failures after which an account waits an hour per attempt."""
    return int(current_app.config["LOGIN_ACCOUNT_LIMIT"])
