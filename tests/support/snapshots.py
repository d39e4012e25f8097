"""Build an expensive world once per session and hand each later test a copy of its database.

A world (rooms, users, tokens, months of history, every closed month published) takes seconds
to build and publish; dozens of tests only read it. The first test that asks builds it in its own
SQLite file as before, and the finished file is kept; later tests whose database is still empty
get that file copied into theirs (SQLite's backup API, so the app's open connections stay valid)
and the same Python objects, loaded by id. PostgreSQL tests, and tests that wrote rows before
asking, build the world themselves, exactly as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

T = TypeVar("T")
#: Tables a fresh test database already holds rows in (the template's).
PRESET_TABLES = frozenset({"municipalities", "alembic_version"})
_kept: dict[Hashable, tuple[Path, Any]] = {}


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
        return build()
    session.flush()
    empty = is_empty(session)
    kept = _kept.get(key)
    if kept is not None and empty:
        session.close()
        _copy(kept[0], path)
        session.expire_all()
        return load(kept[1])
    world = build()
    if empty:
        session.commit()
        folder = path.parent.parent / "kept-worlds"
        folder.mkdir(parents=True, exist_ok=True)
        snapshot = folder / f"world-{len(_kept)}.sqlite3"
        _copy(path, snapshot)
        _kept[key] = (snapshot, dump(world))
    return world
