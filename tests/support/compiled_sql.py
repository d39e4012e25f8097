"""Compiled SQL shared by every test app of a process (test processes only).

A test makes an app of its own, so an engine and a dialect of its own. SQLAlchemy keeps the SQL it compiled
for a statement in the engine's cache (the ORM's INSERT/UPDATE/DELETE of a flush in the mapper's), keyed by
the dialect *object*: every test compiled every statement it ran anew, in its factories, its log-in and
every request (about a third of a small test's CPU; a production worker compiles each once). Here every
engine made by the app's ``db`` uses one cache of the process, and a statement is compiled with (and cached
under) the first dialect seen with the same settings: the same class, the same server version, paramstyle,
flags, limits and serializers, i.e. every value a compilation reads from it. A dialect that differs in any
of them (another backend, another server version, other engine options) is its own and compiles its own.

The SQL a test's statements run is the same string with the same parameters either way; only the
compiling is skipped, and the statements still run on the test's own connection and database, through
its engine's events (row-level security scope, ``BEGIN IMMEDIATE``, statement counting). Without the
private methods used here (another SQLAlchemy or Flask-SQLAlchemy) nothing changes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event, util
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.sql.elements import ClauseElement

#: Statements kept (the suite runs a few thousand distinct ones; an engine's own cache keeps 500).
SIZE = 20_000
_SIMPLE = (type(None), bool, int, float, str, bytes)
_FINGERPRINT = "_tests_compiled_sql_fingerprint"
_CONNECTED = "_tests_compiled_sql_connected"
_OURS = frozenset({_FINGERPRINT, _CONNECTED})
#: A dialect's settings (see :func:`settings`) → the first dialect seen with them.
_canonical: dict[tuple[Any, ...], DefaultDialect] = {}
SHARED: Any = util.LRUCache(SIZE)


def _value(value: Any) -> Any:
    if isinstance(value, _SIMPLE):
        return value
    if isinstance(value, tuple) and all(isinstance(part, _SIMPLE) for part in value):
        return value
    if callable(value):  # json_serializer, on_connect …: by what they are, never one test's closure's state
        name = getattr(value, "__qualname__", type(value).__qualname__)
        return ("callable", getattr(value, "__module__", None), name)
    return ("object", type(value).__module__, type(value).__qualname__)


def settings(dialect: DefaultDialect) -> tuple[Any, ...]:
    """Everything a compilation can read from ``dialect``: its class and every value of its instance.

    Values are compared as they are (numbers, strings, tuples such as ``server_version_info``); other
    objects by their type (the DB-API module, the identifier preparer and type compiler, which the
    dialect builds from those values). Kept on the dialect once its engine has connected (the dialect has
    then read the server's version and settings); only such dialects share compiled SQL.
    """
    kept: tuple[Any, ...] | None = dialect.__dict__.get(_FINGERPRINT)
    if kept is not None:
        return kept
    found = (
        type(dialect).__module__,
        type(dialect).__qualname__,
        tuple(sorted((name, _value(value)) for name, value in vars(dialect).items() if name not in _OURS)),
    )
    if dialect.__dict__.get(_CONNECTED):
        dialect.__dict__[_FINGERPRINT] = found
    return found


def canonical(dialect: DefaultDialect) -> DefaultDialect:
    """The first dialect of this process with ``dialect``'s settings (``dialect`` itself if it is the first)."""
    return _canonical.setdefault(settings(dialect), dialect)


def share_compiled_sql() -> None:
    """Compile each statement once per process and dialect settings (see the module docstring)."""
    from roomlog.extensions import db

    compile_w_cache: Any = getattr(ClauseElement, "_compile_w_cache", None)
    make_engine: Any = getattr(type(db), "_make_engine", None)
    if compile_w_cache is None or make_engine is None or getattr(compile_w_cache, "shared", False):
        return

    def shared_compile(self: ClauseElement, dialect: DefaultDialect, *, compiled_cache: Any, **kw: Any) -> Any:
        if compiled_cache is not None and dialect.__dict__.get(_CONNECTED):
            dialect = canonical(dialect)
        return compile_w_cache(self, dialect, compiled_cache=compiled_cache, **kw)

    def shared_engine(self: Any, bind_key: str | None, options: dict[str, Any], app: Any) -> Engine:
        engine: Engine = make_engine(self, bind_key, options, app)
        if getattr(engine, "_compiled_cache", None) is None:
            return engine  # caching turned off for this engine: nothing to share
        engine._compiled_cache = SHARED

        @event.listens_for(engine, "connect")
        def connected(_dbapi_connection: Any, _record: Any) -> None:
            # After SQLAlchemy's own first-connect listener (registered first): the dialect has read the
            # server's version and settings (``initialize``); only now are its settings final.
            dialect = engine.dialect
            if not dialect.__dict__.get(_CONNECTED):
                dialect.__dict__.pop(_FINGERPRINT, None)
                dialect.__dict__[_CONNECTED] = True

        return engine

    shared_compile.shared = True  # type: ignore[attr-defined]
    ClauseElement._compile_w_cache = shared_compile  # type: ignore[method-assign]
    type(db)._make_engine = shared_engine
