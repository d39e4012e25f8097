"""What one request sends to the database: every statement and, on PostgreSQL, every round trip.

On SQLite SQLAlchemy's ``before_cursor_execute`` sees every statement (a commit is the driver's own
call, no statement). On PostgreSQL it misses what the app sends on the driver's cursor (``BEGIN``
and the room scope, statements sent together in psycopg's pipeline), the pool's pre-ping and the
driver's ``COMMIT``/``ROLLBACK``: there libpq's trace of every connection is read instead, one
statement per ``Query`` or ``Bind`` message, one round trip per ``ReadyForQuery``
(``bench.profile_capture.trips``).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from bench.profile_capture import trips
from roomlog.extensions import db


@dataclass
class Sent:
    """The statements of the block (their text, shortened) and, on PostgreSQL, its round trips."""

    statements: list[str] = field(default_factory=list)
    round_trips: list[str] = field(default_factory=list)

    def listing(self) -> str:
        """The statements, one a line (for an assertion's message)."""
        lines = [f"{n:2d}. {text}" for n, text in enumerate(self.statements, 1)]
        if self.round_trips:
            lines += ["round trips:", *(f"{n:2d}. {text}" for n, text in enumerate(self.round_trips, 1))]
        return "\n".join(lines)


class StatementLog:
    """Records what an app sends to its database, block by block (:meth:`block`).

    On PostgreSQL the engine's pool is emptied and every new connection traced into one file from its
    first statement, so that the names of statements psycopg prepared earlier are known.
    """

    def __init__(self, app: Flask, folder: Path) -> None:
        with app.app_context():
            self.engine = db.engine
        self.postgres = self.engine.dialect.name == "postgresql"
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.traces: list[Path] = []  # one a connection: psycopg names its prepared statements per connection
        self._sent: Sent | None = None
        if self.postgres:
            self.engine.dispose()
            event.listen(self.engine, "connect", self._traced)
        else:
            event.listen(self.engine, "before_cursor_execute", self._seen)

    def close(self) -> None:
        if self.postgres:
            event.remove(self.engine, "connect", self._traced)
            self.engine.dispose()  # closes the traced connections
        else:
            event.remove(self.engine, "before_cursor_execute", self._seen)

    def _traced(self, dbapi_connection: Any, _record: Any) -> None:
        from psycopg import pq

        trace = self.folder / f"libpq-{len(self.traces)}.trace"
        self.traces.append(trace)
        dbapi_connection.pgconn.trace(os.open(trace, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._sent is not None:
            self._sent.statements.append(" ".join(statement.split())[:110])

    @contextmanager
    def block(self) -> Iterator[Sent]:
        """Collect what the app sends inside the block."""
        sent = self._sent = Sent()
        _flush()
        before = {trace: trace.read_text() for trace in self.traces}
        try:
            yield sent
        finally:
            self._sent = None
        _flush()
        for trace in self.traces:  # (a request uses one connection at a time, mostly one)
            earlier = before.get(trace, "")
            sent.round_trips += [trip for trip in trips(trace.read_text()[len(earlier) :], earlier) if trip]
        sent.statements += [text for trip in sent.round_trips for text in trip.split(" / ")]


def _flush() -> None:
    """Write out libpq's buffered traces (C ``stdio`` streams): ``fflush(NULL)`` flushes every output stream."""
    ctypes.CDLL(None).fflush(None)


@contextmanager
def statement_log(app: Flask, folder: Path) -> Iterator[StatementLog]:
    """A :class:`StatementLog` of ``app``, its listeners removed after the block."""
    log = StatementLog(app, folder)
    try:
        yield log
    finally:
        log.close()
