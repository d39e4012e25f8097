"""Build an expensive world once per session and hand each later test a copy of its database.

A world (rooms, users, tokens, months of history, every closed month published) takes seconds
to build and publish; dozens of tests only read it. The first test that asks builds it in its own
SQLite file as before, and the finished file is kept; later tests whose database is still empty
get that file copied into theirs (SQLite's backup API, so the app's open connections stay valid)
and the same Python objects, loaded by id. On PostgreSQL (the worker's test database, emptied after
every test) the finished database is copied by the server into a template database (``CREATE DATABASE …
TEMPLATE``, a file copy), and a later test whose database is still empty gets its database dropped and
created again, under the same name, as a copy of that template (the app's URL holds; its pooled
connections are closed first). Tests that wrote rows before asking build the world themselves, as before.

A world is built once per run, not once per process: conftest names a directory every process of the run
shares (:func:`share_in`); the first process to need a world builds it under a file lock there and leaves the
finished SQLite file or the name of the PostgreSQL template and its ``dump`` (when that is plain JSON data),
the others wait for it and copy that. The run's process drops the templates as the run ends
(demo_db.drop_shared); one whose ``dump`` is not plain JSON stays the process's (:func:`drop_kept_databases`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, text
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


#: PostgreSQL worlds of this process: key → (the template database holding it, ``dump``).
_kept_pg: dict[Hashable, tuple[str, Any]] = {}
#: Template databases only this process knows (a ``dump`` that is not plain JSON): :func:`drop_kept_databases`.
_own_pg: list[str] = []
#: A run's template database of a world is named in a file beside its lock, with this suffix (demo_db.drop_shared).
PG_TEMPLATE_SUFFIX = ".pgdb"


def _engine(session: Session) -> Engine:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    return engine


def _app_url(session: Session) -> str:
    return _engine(session).url.render_as_string(hide_password=False)


def _tables() -> list[str]:
    from roomlog.models import Base

    return [table.name for table in Base.metadata.sorted_tables]  # parents before children


def _pg_is_empty(url: str) -> bool:
    from tests.support.postgres import owner_url_for

    tables = [name for name in _tables() if name not in PRESET_TABLES]
    union = " UNION ALL ".join(f'SELECT 1 FROM public."{name}"' for name in tables)
    owner = create_engine(owner_url_for(url))
    try:
        with owner.connect() as conn:  # as the owner: row-level security hides the rows from the app role
            return conn.execute(text(f"SELECT EXISTS ({union})")).scalar() is False
    finally:
        owner.dispose()


def _release(session: Session) -> None:
    """End the transaction of ``session`` and close its engine's pooled connections (the objects stay loaded)."""
    session.commit()
    _engine(session).dispose()


def _keep_pg(session: Session, ids: Any, record: Path | None) -> tuple[str, Any]:
    """Copy the test database, which holds just the world now, into a template database; name it in ``record``
    (the run's processes then copy it) when given and ``ids`` are plain JSON, else keep it for this process."""
    from tests.support.postgres import copy_database

    url = _app_url(session)
    _release(session)
    database = make_url(url).database or ""
    name = f"{database}_world_{uuid.uuid4().hex[:6]}"
    text_ids = _json(ids) if record is not None else None
    if record is not None and text_ids is not None:
        record.with_suffix(PG_TEMPLATE_SUFFIX).write_text(name, encoding="utf-8")  # dropped as the run ends
    else:
        _own_pg.append(name)
    copy_database(url, database, name)
    if record is not None and text_ids is not None:
        ids = json.loads(text_ids)
        record.write_text(json.dumps({"template": name, "ids": ids}), encoding="utf-8")  # last: marks it done
    return name, ids


def _reuse_or_build_pg(
    session: Session, key: Hashable, build: Callable[[], T], dump: Callable[[T], Any], load: Callable[[Any], T]
) -> T:
    """PostgreSQL: the first test on an empty database builds the world and copies its database into a template
    (once per run, under the run's lock, like the SQLite worlds); a later test on an empty database gets its
    database replaced by a copy of that template (the same name, so the app's URL holds)."""
    session.flush()
    url = _app_url(session)
    if not _pg_is_empty(url):
        return build()
    if key not in _kept_pg and _shared:
        with _run_lock(("postgresql", key)) as shared:
            record = shared.with_suffix(".json")
            if record.exists():  # built by another process of the run
                data = json.loads(record.read_text(encoding="utf-8"))
                _kept_pg[key] = (data["template"], data["ids"])
            else:
                world = build()
                _kept_pg[key] = _keep_pg(session, dump(world), record)
                return world
    kept = _kept_pg.get(key)
    if kept is not None:
        from tests.support.postgres import replace_database

        template, ids = kept
        _release(session)
        replace_database(url, template)
        session.expire_all()
        return load(ids)
    world = build()
    _kept_pg[key] = _keep_pg(session, dump(world), None)
    return world


def drop_kept_databases() -> None:
    """Drop the template databases only this process made (tests/conftest.py calls it as pytest ends)."""
    from tests.support.postgres import drop_databases

    if _own_pg:
        with contextlib.suppress(Exception):  # the server may be gone already at exit
            drop_databases(list(_own_pg))
        _own_pg.clear()
