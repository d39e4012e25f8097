"""Configuration from ``ROOMLOG_*`` environment variables.

Nothing here runs at import time: :func:`load_config` is called by ``create_app``.
In development the two secrets are generated once into the instance folder (never
committed); in production a missing secret stops start-up with a clear message.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

ENVIRONMENTS = ("development", "production", "testing")
SECRET_NAMES = ("SECRET_KEY", "PSEUDONYM_KEY", "DATA_KEY")
#: Production refuses shorter secrets (bytes, UTF-8).
MIN_SECRET_BYTES = 32
#: Values from documentation and examples (README, Flask tutorials): never a production secret.
KNOWN_EXAMPLES = frozenset(
    {
        "…",
        "...",
        "change-me",
        "changeme",
        "secret",
        "test-secret-key",
        "test-pseudonym-key",
        "test-data-key",
    }
)


class ConfigError(RuntimeError):
    """Raised when the configuration cannot be used; the message says what to fix."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(f"ROOMLOG_{name}")
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"ROOMLOG_{name} must be a whole number, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(f"ROOMLOG_{name}")
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def private_directory(path: Path) -> None:
    """Create ``path`` (and parents) if needed; make it 0700 whatever the umask."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _instance_secret(instance_path: Path, name: str) -> str:
    """Return a development secret stored in the instance folder, creating it once."""
    path = instance_path / f"{name.lower()}.txt"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    private_directory(instance_path)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def check_production_secrets(config: Mapping[str, Any]) -> None:
    """Refuse short secrets, secrets equal to each other and known example values (production)."""
    seen: dict[str, str] = {}
    for name in SECRET_NAMES:
        values = [v.strip() for v in str(config[name]).split(",")] if name == "DATA_KEY" else [str(config[name])]
        for value in values:
            if value in KNOWN_EXAMPLES or value.lower().startswith(("change", "example")):
                raise ConfigError(f"ROOMLOG_{name} is an example value: set a long random value of your own")
            if len(value.encode("utf-8")) < MIN_SECRET_BYTES:
                raise ConfigError(
                    f"ROOMLOG_{name} is shorter than {MIN_SECRET_BYTES} bytes: set a long random value "
                    "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
                )
            if value in seen:
                raise ConfigError(f"ROOMLOG_{name} equals ROOMLOG_{seen[value]}: every secret must be different")
            seen[value] = name


def _login_limits(config: dict[str, Any]) -> None:
    """Derive the throttle's numbers from ``ROOMLOG_LOGIN_RATE_LIMIT`` and ``ROOMLOG_LOGIN_IP_RATE_LIMIT``."""
    from limits import parse

    try:
        per_pair = parse(config["LOGIN_RATE_LIMIT"])
        per_address = parse(config["LOGIN_IP_RATE_LIMIT"])
    except ValueError as exc:
        raise ConfigError(f"a login limit must read like '10 per 5 minutes': {exc}") from exc
    config.setdefault("LOGIN_FREE_FAILURES", per_pair.amount)
    config.setdefault("LOGIN_ADDRESS_LIMIT", per_address.amount)
    config.setdefault("LOGIN_ADDRESS_WINDOW_S", per_address.get_expiry())


def _choose_database(config: dict[str, Any]) -> None:
    """Name the app's database role; connect as the owner when asked (the ``roomlog`` command).

    On PostgreSQL the app serves requests as the role of ``ROOMLOG_DATABASE_URL``, which owns
    nothing; ``ROOMLOG_OWNER_DATABASE_URL`` is the schema owner's, used by the ``roomlog``
    command (migrations, demo, import-history, purge, backup, restore). The migrations grant
    the app role what it needs (``APP_DATABASE_ROLE``).
    """
    app_url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    owner = config.get("OWNER_DATABASE_URL")
    separate = owner and app_url.username and app_url.username != make_url(owner).username
    if separate and app_url.get_backend_name() == "postgresql" and not config.get("APP_DATABASE_ROLE"):
        config["APP_DATABASE_ROLE"] = app_url.username
    config.setdefault("APP_DATABASE_ROLE", None)
    if owner and config.get("DATABASE_AS_OWNER"):
        config["SQLALCHEMY_DATABASE_URI"] = owner


def load_config(
    instance_path: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the Flask config mapping from the environment, then apply ``overrides``."""
    env = os.environ if env is None else env
    overrides = dict(overrides or {})
    instance = Path(instance_path)
    environment = overrides.get("ENV_NAME") or env.get("ROOMLOG_ENV", "development")
    if overrides.get("TESTING"):
        environment = "testing"
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"ROOMLOG_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")

    config: dict[str, Any] = {
        "ENV_NAME": environment,
        "SQLALCHEMY_DATABASE_URI": env.get("ROOMLOG_DATABASE_URL") or f"sqlite:///{instance / 'roomlog.sqlite3'}",
        "SUPPRESSION_THRESHOLD": _int(env, "SUPPRESSION_THRESHOLD", 5),
        "LOCK_AFTER_DAYS": _int(env, "LOCK_AFTER_DAYS", 15),
        "RETENTION_YEARS": _int(env, "RETENTION_YEARS", 5),
        "STAFF_IDLE_MINUTES": _int(env, "STAFF_IDLE_MINUTES", 10),
        "IDLE_MINUTES": _int(env, "IDLE_MINUTES", 30),
        "LONG_CONSUMPTION_MINUTES": _int(env, "LONG_CONSUMPTION_MINUTES", 45),
        "SESSION_MAX_HOURS": _int(env, "SESSION_MAX_HOURS", 12),
        "BEHIND_PROXY": _int(env, "BEHIND_PROXY", 0),
        # Shared by every gunicorn worker on the host (see roomlog/auth/throttle_storage.py);
        # set redis://… when several hosts serve the app.
        "RATELIMIT_STORAGE_URI": env.get("ROOMLOG_RATELIMIT_STORAGE_URL")
        or f"roomlog+sqlite://{instance / 'ratelimit.sqlite3'}",
        "API_RATE_LIMIT": env.get("ROOMLOG_API_RATE_LIMIT", "120 per minute"),
        # X-RateLimit-Limit/-Remaining/-Reset on limited responses and Retry-After (seconds) on a 429.
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_HEADER_RETRY_AFTER_VALUE": "delta-seconds",
        # The number is the free failed log-ins per account and address before delays begin
        # (roomlog/auth/throttle.py; the period is not used: delays replace windows).
        "LOGIN_RATE_LIMIT": env.get("ROOMLOG_LOGIN_RATE_LIMIT", "10 per 5 minutes"),
        # NIST SP 800-63B rev. 4: at most 100 consecutive failed attempts per account.
        "LOGIN_ACCOUNT_LIMIT": _int(env, "LOGIN_ACCOUNT_LIMIT", 100),
        "LOGIN_FIRST_DELAY_S": _int(env, "LOGIN_FIRST_DELAY_S", 2),
        "LOGIN_MAX_DELAY_S": _int(env, "LOGIN_MAX_DELAY_S", 900),
        # Failed log-ins per client address in a window before its pairs lose their free
        # failures (password spraying); it never refuses a correct password by itself.
        "LOGIN_IP_RATE_LIMIT": env.get("ROOMLOG_LOGIN_IP_RATE_LIMIT", "60 per 5 minutes"),
        # The state co-financing pool (whole kroner): commitments are never above it.
        "POOL_TOTAL_DKK": _int(env, "POOL_TOTAL_DKK", 25_000_000),
        "REQUIRE_TOTP": _bool(env, "REQUIRE_TOTP", environment == "production"),
        "LOG_FILE": env.get("ROOMLOG_LOG_FILE") or None,
        # A directory of protection decisions to reuse (reporting/publication/memo.py); unset: none kept.
        "PROTECTION_MEMO_DIR": env.get("ROOMLOG_PROTECTION_MEMO_DIR") or None,
        # Publish what a change (approval, acceptance) made due after its request commits, in a background thread
        # of the worker (roomlog/publication_runs.py); off: in the change's own transaction (the tests' default:
        # their requests read the figures at once; tests/test_publication_background.py covers the thread).
        "PUBLISH_IN_BACKGROUND": _bool(env, "PUBLISH_IN_BACKGROUND", environment != "testing"),
        "LOG_LEVEL": env.get("ROOMLOG_LOG_LEVEL", "INFO"),
        "SESSION_COOKIE_SECURE": _bool(env, "SECURE_COOKIES", environment == "production"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # ``__Host-`` makes the browser insist on Secure, Path=/ and no Domain (host-only).
        "SESSION_COOKIE_NAME": "__Host-roomlog_session"
        if _bool(env, "SECURE_COOKIES", environment == "production")
        else "roomlog_session",
        "REMEMBER_COOKIE_DURATION": 0,
        "BABEL_DEFAULT_LOCALE": "da",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
        "TIMEZONE": "Europe/Copenhagen",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }
    for name in SECRET_NAMES:
        value = overrides.get(name) or env.get(f"ROOMLOG_{name}")
        if not value:
            if environment == "production":
                raise ConfigError(
                    f"ROOMLOG_{name} is not set. In production roomlog will not start without it: "
                    f"set ROOMLOG_{name} to a long random value (e.g. `python -c 'import secrets; "
                    f"print(secrets.token_urlsafe(48))'`) and keep it out of backups."
                )
            value = _instance_secret(instance, name)
        config[name] = value
    config["OWNER_DATABASE_URL"] = env.get("ROOMLOG_OWNER_DATABASE_URL") or None
    config.update(overrides)
    _choose_database(config)
    _login_limits(config)
    if str(config["RATELIMIT_STORAGE_URI"]).startswith("roomlog+sqlite://"):
        # The counters file stores keyed hashes of its keys (roomlog/auth/throttle_storage.py).
        key = hashlib.sha256(f"ratelimit:{config['SECRET_KEY']}".encode()).hexdigest()
        config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"key_secret": key})
    if config["ENV_NAME"] == "production":
        check_production_secrets(config)
        # Debug (the interactive debugger, tracebacks in pages) is impossible in production,
        # whatever the environment or the overrides say.
        config["DEBUG"] = False
        config["PROPAGATE_EXCEPTIONS"] = False
    return config
