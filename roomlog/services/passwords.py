"""Password hashing (argon2id) and the password rules (NIST SP 800-63B: length, not composition).

Hashing: argon2id with argon2-cffi's defaults, the RFC 9106 "low memory" profile (t=3,
m=64 MiB, p=4), above OWASP's minimum (m=19 MiB, t=2, p=1). A stored hash with weaker
parameters is re-hashed at the next successful login.

Rules (SP 800-63B § 3.1.1.2): at least 12 characters, up to 256; any characters (spaces,
æøå, emoji) — passwords are normalised to Unicode NFKC before hashing and checking, so
the same passphrase typed on another keyboard still matches; no composition rules and no
forced rotation; refused when on the list of common passwords or built around a context
word (roomlog, the username, the user's room names).
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from roomlog.messages import N_, Message

MIN_LENGTH = 12
MAX_LENGTH = 256

# A dummy hash to verify against when the user does not exist, so that a login for an
# unknown username costs as much time as one for a known username.
_DUMMY_PASSWORD = "not-a-real-password-0"  # noqa: S105 (a timing equaliser, not a credential)  # nosec B105


#: argon2id parameters (``ARGON2_PARAMS`` in the configuration); ``None`` means the RFC 9106 defaults.
Params = Mapping[str, Any] | None


def hasher(params: Params = None) -> PasswordHasher:
    """Return the argon2id hasher with the given (or default RFC 9106) parameters."""
    return PasswordHasher(**params) if params else PasswordHasher()


def normalise(password: str) -> str:
    """Return the NFKC form of a password (the form that is hashed and checked)."""
    return unicodedata.normalize("NFKC", password)


@cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords (lowercase)."""
    text = resources.files("roomlog.data").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """Return whether the password (ignoring case and spaces) is on the common list."""
    folded = normalise(password).casefold()
    return folded in common_passwords() or folded.replace(" ", "") in common_passwords()


def hash_password(password: str, params: Params = None) -> str:
    """Return the argon2id hash of ``password`` (NFKC-normalised)."""
    return hasher(params).hash(normalise(password))


def verify_password(password_hash: str | None, password: str, params: Params = None) -> bool:
    """Check ``password`` against a stored hash in constant-ish time; never raises."""
    ph = hasher(params)
    if not password_hash:
        with contextlib.suppress(VerificationError):
            ph.verify(ph.hash(_DUMMY_PASSWORD), password)
        return False
    try:
        return ph.verify(password_hash, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, params: Params = None) -> bool:
    """Return whether a stored hash uses other parameters than ``params``."""
    try:
        return hasher(params).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def password_problems(password: str, context_words: tuple[str, ...] = ()) -> list[Message]:
    """Return the reasons a new password is refused (empty when it is acceptable)."""
    problems: list[Message] = []
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        text = N_("Use at least %(n)d characters — a short sentence is easy to remember.")
        problems.append(Message(text, {"n": MIN_LENGTH}))
    if len(password) > MAX_LENGTH:
        problems.append(Message(N_("Use at most %(n)d characters."), {"n": MAX_LENGTH}))
    lowered = password.casefold()
    context = [w.casefold() for w in context_words if w]
    words = {"roomlog", "password", "kodeord", "adgangskode", *context, *(p for w in context for p in w.split())}
    if any(len(w) >= 4 and w in lowered and len(lowered) - len(w) < 8 for w in words):
        problems.append(Message(N_("The password is too close to a name or word connected with this system.")))
    if len(set(password)) < 4 and password:
        problems.append(Message(N_("The password repeats too few different characters.")))
    if is_common(password):
        problems.append(Message(N_("This password is on a list of common passwords that attackers try first.")))
    return problems
