"""Build an expensive world once per session and hand each later test a copy of its database.

A world (rooms, users, tokens, months of history, every closed month published) takes seconds
to build and publish; dozens of tests only read it. The first test that asks builds it in its own
SQLite file as before, and the finished file is kept; later tests whose database is still empty
get that file copied into theirs (SQLite's backup API, so the app's open connections stay valid)
and the same Python objects, loaded by id. On PostgreSQL (the worker's test database, emptied after
every test) the finished rows are kept by the owner in a schema of their own beside ``public`` and
copied back (``INSERT … SELECT`` in foreign-key order, the sequences set to where they stood) into a
later test's empty tables. Tests that wrote rows before asking build the world themselves, as before.

A SQLite world is built once per run, not once per process: conftest names a directory every process of the
run shares (:func:`share_in`); the first process to need a world builds it under a file lock there and leaves
the finished file and its ``dump`` (when that is plain JSON data), the others wait for it and copy that file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import sqlite3
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

T = TypeVar("T")
#: Tables a fresh test database already holds rows in (the template's).
PRESET_TABLES = frozenset({"municipalities", "alembic_version"})
_kept: dict[Hashable, tuple[Path, Any]] = {}
#: The directory where this run's processes share their SQLite worlds (``None``: each keeps its own).
_shared: list[Path] = []


def share_in(folder: Path) -> None:
    """Share this process's SQLite worlds with the run's other processes in ``folder`` (conftest, once per process)."""
    _shared[:] = [folder]


def _sqlite_file(session: Session) -> Path | None:
    url = session.get_bind().url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(make_url(url).database or "")


def is_empty(session: Session) -> bool:
    """Whether every table but the preset ones is empty (nothing written since the template)."""
    names = session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
    tables = [name for name in names if name not in PRESET_TABLES and not name.startswith("sqlite_")]
    if not tables:
        return True
    union = " UNION ALL ".join(f'SELECT 1 FROM "{name}"' for name in tables)
    return session.execute(text(f"SELECT EXISTS ({union})")).scalar() == 0


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target, timeout=30) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def reuse_or_build(
    session: Session,
    key: Hashable,
    build: Callable[[], T],
    dump: Callable[[T], Any],
    load: Callable[[Any], T],
) -> T:
    """Return ``build()``'s world, or a copy of the one kept under ``key`` when this database is still empty.

    ``dump`` turns a world into plain data (ids, tokens); ``load`` turns that back into a world
    through ``session`` after the copy. The finished files sit beside the tests' own folders.
    """
    path = _sqlite_file(session)
    if path is None:
        if session.get_bind().dialect.name == "postgresql":
            return _reuse_or_build_pg(session, key, build, dump, load)
        return build()
    session.flush()
    empty = is_empty(session)
    if empty and key not in _kept and _shared:
        with _run_lock(key) as shared:
            if shared.with_suffix(".json").exists():  # built by another process of the run
                _kept[key] = (shared, json.loads(shared.with_suffix(".json").read_text(encoding="utf-8")))
            else:
                world = build()
                session.commit()
                ids = dump(world)
                text = _json(ids)
                if text is None:  # not plain JSON data: this process keeps the world for itself, as before
                    _keep_here(path, key, ids)
                else:
                    _copy(path, shared)
                    shared.with_suffix(".json").write_text(text, encoding="utf-8")  # last: marks the world done
                    _kept[key] = (shared, json.loads(text))
                return world
    kept = _kept.get(key)
    if kept is not None and empty:
        session.close()
        _copy(kept[0], path)
        session.expire_all()
        return load(kept[1])
    world = build()
    if empty:
        session.commit()
        _keep_here(path, key, dump(world))
    return world


def _keep_here(path: Path, key: Hashable, ids: Any) -> None:
    """Keep a copy of the world in ``path`` for this process's later tests."""
    folder = path.parent.parent / "kept-worlds"
    folder.mkdir(parents=True, exist_ok=True)
    snapshot = folder / f"world-{len(_kept)}.sqlite3"
    _copy(path, snapshot)
    _kept[key] = (snapshot, ids)


def _json(ids: Any) -> str | None:
    """``ids`` as JSON text, if reading it back gives the same data (tuples as lists); else ``None``."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    try:
        text = json.dumps(ids)
    except (TypeError, ValueError):
        return None
    return text if json.loads(text) == plain(ids) else None


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (made if missing) for the run's processes, waiting for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def _run_lock(key: Hashable) -> Iterator[Path]:
    """Hold the run's lock of ``key``'s world; yield where its file is (or goes), named by a digest of the key."""
    name = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
    with locked(_shared[0] / f"{name}.lock"):
        yield _shared[0] / f"{name}.sqlite3"


#: PostgreSQL worlds of this process: key → (the schema holding its rows, its sequences' values, ``dump``).
_kept_pg: dict[Hashable, tuple[str, dict[str, tuple[int, bool]], Any]] = {}
#: The schemas that hold them are named with this prefix (conftest's schema set-up drops leftovers).
PG_SCHEMA_PREFIX = "kept_world_"


def _owner_engine(session: Session) -> Engine:
    from tests.support.postgres import owner_url_for

    return create_engine(owner_url_for(session.get_bind().url.render_as_string(hide_password=False)))


def _tables() -> list[str]:
    from roomlog.models import Base

    return [table.name for table in Base.metadata.sorted_tables]  # parents before children


def _pg_is_empty(conn: Connection) -> bool:
    tables = [name for name in _tables() if name not in PRESET_TABLES]
    union = " UNION ALL ".join(f'SELECT 1 FROM public."{name}"' for name in tables)
    return conn.execute(text(f"SELECT EXISTS ({union})")).scalar() is False


def _pg_sequences(conn: Connection) -> dict[str, tuple[int, bool]]:
    rows = conn.execute(text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")).all()
    return {name: (value, True) if value is not None else (1, False) for name, value in rows}


def _reuse_or_build_pg(
    session: Session, key: Hashable, build: Callable[[], T], dump: Callable[[T], Any], load: Callable[[Any], T]
) -> T:
    session.flush()
    owner = _owner_engine(session)
    try:
        with owner.connect() as conn:  # as the owner: row-level security hides the rows from the app role
            empty = _pg_is_empty(conn)
        kept = _kept_pg.get(key)
        if kept is not None and empty:
            schema, sequences, ids = kept
            session.commit()
            with owner.begin() as conn:
                for name in _tables():
                    if name not in PRESET_TABLES:
                        conn.execute(
                            text(f'INSERT INTO public."{name}" OVERRIDING SYSTEM VALUE SELECT * FROM {schema}."{name}"')
                        )
                for sequence, (value, called) in sequences.items():
                    conn.execute(
                        text("SELECT setval(:s, :v, :c)"), {"s": f'public."{sequence}"', "v": value, "c": called}
                    )
            session.expire_all()
            return load(ids)
        world = build()
        if empty:
            session.commit()
            schema = f"{PG_SCHEMA_PREFIX}{len(_kept_pg)}"
            with owner.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {schema}"))
                for name in _tables():
                    if name not in PRESET_TABLES:
                        conn.execute(text(f'CREATE TABLE {schema}."{name}" AS SELECT * FROM public."{name}"'))
                sequences = _pg_sequences(conn)
            _kept_pg[key] = (schema, sequences, dump(world))
        return world
    finally:
        owner.dispose()
