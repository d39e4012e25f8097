"""Backups and restores: SQLite's online backup API, or pg_dump/pg_restore (custom format).

A backup holds the database only. The secrets (``ROOMLOG_SECRET_KEY``, ``ROOMLOG_PSEUDONYM_KEY``)
live in the environment or the instance folder, never in the database, so they are never in a
backup: keep them in a separate safe place. Restores go into an empty database only.

A backup file is private from its first byte (mode 0600 whatever the umask) and appears
under its name only when complete: it is written as ``NAME.partial``, which is removed if
anything fails. On PostgreSQL the ``roomlog`` command dumps and restores with the owner's
connection (``ROOMLOG_OWNER_DATABASE_URL``): the owner is not subject to row-level
security, so the dump holds every row; grants (the app role's) travel with the dump, so a
restore needs the same two roles (README, "Deployment").
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404 - runs pg_dump/pg_restore with argument lists, no shell
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL, make_url

#: Called with (done, total) as a backup or restore advances.
Progress = Callable[[int, int], None]


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


#: Backups, and every file created while one is written, are readable by their owner only.
PRIVATE_FILE_MODE = 0o600


@contextmanager
def private_partial(target: Path) -> Iterator[Path]:
    """Yield ``target.partial``, created 0600; rename it to ``target`` on success, remove it on failure."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    previous = os.umask(0o077)
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
        yield partial
        os.chmod(partial, PRIVATE_FILE_MODE)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        os.umask(previous)


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("the SQLite database is in memory: there is nothing to back up or restore into")
    return Path(url.database)


def _copy_sqlite(source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress) -> None:
    def step(_status: int, remaining: int, total: int) -> None:
        progress(total - remaining, total)

    # Large steps without pauses: SQLite restarts a step-wise copy when another connection
    # writes between steps, so few, quick steps finish even while tablets keep writing.
    source.backup(target, pages=4096, progress=step, sleep=0)


def _check_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    if result != "ok":
        raise BackupError(f"{path} failed the integrity check: {result}")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is not a roomlog database (no migration version)")


def backup_sqlite(url: URL, target: Path, progress: Progress) -> None:
    """Copy a live SQLite database page by page into ``target`` (a single self-contained file)."""
    source_path = _sqlite_file(url)
    if not source_path.exists():
        raise BackupError(f"the database file {source_path} does not exist")
    with private_partial(target) as partial:
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        try:
            _copy_sqlite(source, copy, progress)
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
            source.close()
        _check_sqlite(partial)


def restore_sqlite(url: URL, source: Path, progress: Progress) -> None:
    """Restore a backup file into the (missing or empty) SQLite database of ``url``."""
    _check_sqlite(source)
    target_path = _sqlite_file(url)
    target = sqlite3.connect(target_path)
    try:
        if target.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]:
            raise BackupError(f"{target_path} is not empty: restore only into an empty database")
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            _copy_sqlite(backup, target, progress)
        finally:
            backup.close()
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()


def pg_tool(name: str) -> str:
    """Find ``pg_dump``/``pg_restore``: ``ROOMLOG_PG_BIN``, then PATH, then the newest Debian install."""
    configured = os.environ.get("ROOMLOG_PG_BIN")
    candidates = [str(Path(configured) / name)] if configured else []
    found = shutil.which(name)
    if found:
        candidates.append(found)

    def version(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/", path)
        return int(match.group(1)) if match else 0

    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True)
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    raise BackupError(f"{name} not found: install the PostgreSQL client tools or set ROOMLOG_PG_BIN")


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Return connection arguments and environment (the password goes in the environment only)."""
    env = dict(os.environ)
    args = []
    host = url.host or url.query.get("host")
    if host:
        args += ["--host", str(host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    if "sslmode" in url.query:
        env["PGSSLMODE"] = str(url.query["sslmode"])
    args += ["--no-password", "--dbname", str(url.database)]
    return args, env


def _run_with_progress(command: list[str], env: dict[str, str], total: int, marker: str, progress: Progress) -> None:
    """Run a PostgreSQL tool in verbose mode, advancing on each line that contains ``marker``."""
    done = 0
    process = subprocess.Popen(  # noqa: S603 (fixed tool path and argument list, no shell)  # nosec B603
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    errors = []
    for line in process.stderr or ():
        if marker in line:
            done = min(done + 1, total)
            progress(done, total)
        elif "error" in line.lower():
            errors.append(line.strip())
    if process.wait() != 0:
        raise BackupError(f"{Path(command[0]).name} failed: " + (" ".join(errors[-3:]) or f"exit {process.returncode}"))
    progress(total, total)


def _pg_table_count(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def backup_postgresql(url: URL, target: Path, progress: Progress) -> None:
    """Dump the database in pg_dump's custom format into ``target``."""
    args, env = _pg_args(url)
    # Privileges stay in the dump: the app role's grants and default privileges come back on restore.
    command = [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--verbose"]
    total = max(_pg_table_count(url.render_as_string(hide_password=False)), 1)
    with private_partial(target) as partial:
        _run_with_progress([*command, "--file", str(partial), *args], env, total, "dumping contents of table", progress)


def restore_postgresql(url: URL, source: Path, progress: Progress) -> None:
    """Restore a custom-format dump into the empty database of ``url`` in one transaction."""
    if _pg_table_count(url.render_as_string(hide_password=False)):
        raise BackupError(f"database {url.database} is not empty: restore only into an empty database")
    listing = subprocess.run(  # noqa: S603 (fixed tool path and argument list, no shell)  # nosec B603
        [pg_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"{source} is not a pg_dump custom-format backup: {listing.stderr.strip()}")
    total = sum(1 for line in listing.stdout.splitlines() if line and not line.startswith(";"))
    args, env = _pg_args(url)
    command = [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction"]
    _run_with_progress([*command, "--verbose", *args, str(source)], env, total, "pg_restore: ", progress)


#: One backup or restore step: a database URL, the backup file and the progress callback.
Step = Callable[[URL, Path, Progress], None]


def _step_for(database_url: str, steps: Mapping[str, Step], what: str) -> tuple[URL, Step]:
    """The URL and the step for its database's backend (``what`` names the refused operation)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend not in steps:
        raise BackupError(what.format(backend=backend))
    return url, steps[backend]


def backup(database_url: str, target: Path, progress: Progress) -> None:
    """Back up the database of ``database_url`` into the new file ``target``."""
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name")
    steps = {"sqlite": backup_sqlite, "postgresql": backup_postgresql}
    url, step = _step_for(database_url, steps, "backups of {backend} databases are not supported")
    step(url, target, progress)


def restore(database_url: str, source: Path, progress: Progress) -> None:
    """Restore the backup ``source`` into the empty database of ``database_url``."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    steps = {"sqlite": restore_sqlite, "postgresql": restore_postgresql}
    url, step = _step_for(database_url, steps, "restores into {backend} databases are not supported")
    step(url, source, progress)
