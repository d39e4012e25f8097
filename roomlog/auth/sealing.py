"""Secrets at rest: TOTP secrets (and enrolments in progress) sealed with ``ROOMLOG_DATA_KEY``.

The database and every backup hold only sealed values (``v1:`` + a Fernet token: AES-128-CBC
with an HMAC-SHA256, from the well-kept ``cryptography`` package), so a stolen backup or a
look at the database does not give anyone a user's second factor. The key lives in the
environment (or, in development, the instance folder), never in the database.

``ROOMLOG_DATA_KEY`` may list several keys separated by commas: the first seals, every key
opens. To rotate: put a new key first, run ``roomlog secrets rotate`` (re-seals every value
with it), then drop the old key (README, "Operations").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "v1:"
_INFO = b"roomlog data key v1"


class SealError(RuntimeError):
    """A sealed value could not be opened with any configured key."""


def data_keys(raw: str | None = None) -> list[str]:
    """Return the configured data keys, the sealing key first."""
    value = current_app.config["DATA_KEY"] if raw is None else raw
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _fernet_key(secret: str) -> bytes:
    import base64

    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(derived)


def _fernet(keys: Sequence[str]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def seal(plaintext: str, keys: Sequence[str] | None = None) -> str:
    """Return ``plaintext`` sealed with the first data key."""
    return PREFIX + _fernet(keys or data_keys()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def is_sealed(value: str | None) -> bool:
    """Return whether a stored value is sealed (and not a legacy clear value)."""
    return bool(value) and str(value).startswith(PREFIX)


def unseal(value: str, keys: Sequence[str] | None = None) -> str:
    """Open a sealed value with any configured key."""
    if not is_sealed(value):
        raise SealError("the value is not sealed")
    try:
        return _fernet(keys or data_keys()).decrypt(value[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise SealError("no configured ROOMLOG_DATA_KEY opens this value") from exc


def reseal(value: str, keys: Sequence[str] | None = None) -> str:
    """Return ``value`` (sealed with any key, or legacy clear text) sealed with the first key."""
    keys = list(keys or data_keys())
    return seal(unseal(value, keys) if is_sealed(value) else value, keys)


def keyed_hashes(message: str, keys: Sequence[str] | None = None) -> list[str]:
    """Return HMAC-SHA256 digests of ``message`` under each data key (the first is the one to store)."""
    return [
        hmac.new(_fernet_key(k), message.encode("utf-8"), hashlib.sha256).hexdigest() for k in (keys or data_keys())
    ]
