"""The second factor: TOTP (RFC 6238) with replay protection, and one-time recovery codes.

Who must use it: the roles in ``TOTP_ROLES`` (lead, municipality, national, admin) when
``REQUIRE_TOTP`` is on (the default in production; off in development and tests so the
demo logins keep working). Staff on a shared room tablet log in with a password only.

The secret is stored sealed with ``ROOMLOG_DATA_KEY`` (roomlog/auth/sealing.py); while an
enrolment is in progress it is derived on the server from the login session (never in the
cookie, never stored); recovery codes are stored as HMACs keyed with the same key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from roomlog.auth import sealing
from roomlog.models import LoginSession, RecoveryCode, User
from roomlog.models.base import utcnow
from roomlog.models.codes import TOTP_ROLES
from roomlog.services import audit

ISSUER = "roomlog"
RECOVERY_CODES = 10
_INTERVAL = 30
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed from paper


def totp_required(user: User) -> bool:
    """Return whether this user must have a second factor before using roomlog."""
    return bool(current_app.config.get("REQUIRE_TOTP")) and user.role in TOTP_ROLES


def has_totp(user: User) -> bool:
    """Return whether the user has a confirmed second factor."""
    return bool(user.totp_secret and user.totp_confirmed_at)


def new_secret() -> str:
    """Return a fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def qr_data_uri(user: User, secret: str) -> str:
    """Return the enrolment QR code as an inline SVG data URI (allowed by the CSP: img-src data:)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _matching_counter(secret: str, code: str, at: float) -> int | None:
    code = "".join(c for c in code if c.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = int(at // _INTERVAL)
    for counter in (now - 1, now, now + 1):  # one step of clock drift either way
        if hmac.compare_digest(totp.at(counter * _INTERVAL), code):
            return counter
    return None


def stored_secret(user: User) -> str | None:
    """Return the user's TOTP secret, unsealed (a legacy clear value is returned as it is)."""
    value = user.totp_secret
    if not value:
        return None
    return sealing.unseal(value) if sealing.is_sealed(value) else value


def pending_secret(login: LoginSession) -> str:
    """Return the enrolment secret of this login session: derived on the server, never stored.

    An HMAC (keyed with ROOMLOG_DATA_KEY) of the server-side session, so reloading the QR
    page shows the same secret, showing it writes nothing, and it is in no cookie.
    """
    digest = sealing.keyed_hashes(f"totp-enrolment:{login.id}:{login.token_hash}")[0]
    return base64.b32encode(bytes.fromhex(digest)[:20]).decode("ascii")


def check_code(user: User, code: str, secret: str | None = None, at: float | None = None) -> bool:
    """Check a TOTP code; a code (or an older one) that was already used is refused (replay)."""
    secret = secret or stored_secret(user)
    if not secret:
        return False
    counter = _matching_counter(secret, code, time.time() if at is None else at)
    if counter is None or (user.totp_last_counter is not None and counter <= user.totp_last_counter):
        return False
    user.totp_last_counter = counter
    return True


def _normal(code: str) -> str:
    return code.replace("-", "").lower()


def _code_hash(code: str) -> str:
    # Recovery codes carry 60 random bits, so a keyed SHA-256 suffices (no slow hash needed).
    return sealing.keyed_hashes(_normal(code))[0]


def _code_hashes(code: str) -> list[str]:
    """Every hash a stored code may have: each data key, and the SECRET_KEY of older releases."""
    legacy = hmac.new(current_app.config["SECRET_KEY"].encode(), _normal(code).encode(), hashlib.sha256).hexdigest()
    return [*sealing.keyed_hashes(_normal(code)), legacy]


def confirm(session: Session, user: User, secret: str, code: str) -> list[str] | None:
    """Enrol ``secret`` if ``code`` matches it; return fresh recovery codes (shown once)."""
    if not check_code(user, code, secret=secret):
        return None
    user.totp_secret, user.totp_confirmed_at = sealing.seal(secret), utcnow()
    codes = new_recovery_codes(session, user)
    audit.record(session, "user.totp_enrol", user_id=user.id, entity="user", entity_id=user.id)
    return codes


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes with new ones and return them in clear, once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(raw)))
    session.flush()
    return codes


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Spend one unused recovery code; return whether it was valid."""
    digests = _code_hashes(code.strip())
    row = session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash.in_(digests), RecoveryCode.used_at.is_(None)
        )
    ).first()
    if row is None:
        return False
    row.used_at = utcnow()
    audit.record(session, "user.recovery_code", user_id=user.id, entity="user", entity_id=user.id)
    return True


def reset(session: Session, user: User, actor: User) -> None:
    """Remove a user's second factor (admin help for a lost phone); they enrol again."""
    user.totp_secret, user.totp_confirmed_at, user.totp_last_counter = None, None, None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(session, "user.totp_reset", user_id=actor.id, entity="user", entity_id=user.id)
