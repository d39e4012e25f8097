"""A ``limits`` storage in a SQLite file, shared by every gunicorn worker on the host.

Why not a stock storage: ``limits`` ships memory (one process only, so each worker would
count on its own and a burst spread over workers multiplies the allowance), Redis,
Memcached, MongoDB and etcd — all servers that a one-command SQLite deployment does not
have. This small fixed-window counter keeps the ``limits`` interface, so Flask-Limiter
uses it unchanged, and SQLite's file locking (``BEGIN IMMEDIATE``) makes each increment
atomic across processes. Keys are stored as HMAC-SHA256 digests (keyed with the
``key_secret`` storage option, which roomlog derives from ``ROOMLOG_SECRET_KEY``), so the
file never holds an address or a token id in clear; the file is created 0600 in a 0700
folder whatever the umask. It lives apart from the app database (a GET never writes there
and backups stay free of it). Deployments on several hosts set
``ROOMLOG_RATELIMIT_STORAGE_URL=redis://…`` instead. (Login throttling is not here: it is
in the database, roomlog/auth/throttle.py.)

URI: ``roomlog+sqlite:///absolute/path/ratelimit.sqlite3``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from limits.storage import Storage

_SCHEMA = "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)"


class SQLiteFileStorage(Storage):
    """Fixed-window counters in a SQLite file (``roomlog+sqlite://`` URIs)."""

    STORAGE_SCHEME = ["roomlog+sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        self._secret = str(options.pop("key_secret", "")).encode("utf-8")
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        path = (uri or "").split("://", 1)[-1]
        if not path:
            raise ValueError(
                "roomlog+sqlite:// needs a file path, e.g. roomlog+sqlite:///srv/roomlog/ratelimit.sqlite3"
            )
        self.path = Path(path)
        self._local = threading.local()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():  # a forked worker opens its own
            self._local.pid = os.getpid()
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.path.exists():  # private from the start; SQLite's -wal/-shm files copy its mode
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            # Counters need not outlive a power cut: no flush to disk at every API request's increment
            # (WAL with NORMAL stays consistent, and a crash of the process loses nothing).
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            self._local.conn = conn
        return conn

    def _k(self, key: str) -> str:
        """The stored form of a key: a keyed hash, never the key itself."""
        return hmac.new(self._secret, key.encode("utf-8"), hashlib.sha256).hexdigest()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to the counter, starting a new window when the old one expired."""
        conn, now, key = self._connect(), time.time(), self._k(key)
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT value, expires_at FROM counters WHERE key = ?", (key,)).fetchone()
            if row is None or row[1] <= now:
                value = amount
                conn.execute(
                    "REPLACE INTO counters (key, value, expires_at) VALUES (?, ?, ?)", (key, value, now + expiry)
                )
            else:
                value = row[0] + amount
                conn.execute("UPDATE counters SET value = ? WHERE key = ?", (value, key))
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now - 3600,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(value)

    def get(self, key: str) -> int:
        """Return the current count of an unexpired window (0 otherwise)."""
        row = (
            self._connect()
            .execute("SELECT value FROM counters WHERE key = ? AND expires_at > ?", (self._k(key), time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        """Return when the window of ``key`` ends (epoch seconds)."""
        row = self._connect().execute("SELECT expires_at FROM counters WHERE key = ?", (self._k(key),)).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        """Return whether the file can be used."""
        try:
            self._connect().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Remove every counter and return how many there were."""
        return self._connect().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        """Remove one counter."""
        self._connect().execute("DELETE FROM counters WHERE key = ?", (self._k(key),))
