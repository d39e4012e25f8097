"""The bare floor for the capture benchmark: Flask + SQLAlchemy, one idempotent INSERT per POST.

No login, CSRF, audit or logging: only what any app storing a tapped record must do. Its
engine is roomlog's own (:mod:`roomlog.database`: the same pool, pre-ping, timeouts and
per-connection settings), so the comparison measures roomlog's own overhead: SQLite in WAL
mode with ``synchronous=FULL`` and ``BEGIN IMMEDIATE`` for the write; on PostgreSQL the
server's own durability settings and the same ``BEGIN`` (the benchmark runs it in roomlog's
database, as the app role). Serve with ``gunicorn 'bench.floor_app:app_factory()'`` and
``FLOOR_DATABASE_URL`` set.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from flask import Flask, Response, abort, redirect, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert, select
from sqlalchemy.exc import IntegrityError

from roomlog import database

metadata = MetaData()
events = Table(
    "floor_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
)


def make_engine(url: str) -> Any:
    """Return an engine with roomlog's engine options and per-connection settings."""
    engine = create_engine(url, **database.engine_options(url))
    database.install(engine)
    return engine


def create_app(url: str | None = None) -> Flask:
    """Return the floor app on ``url`` (default: ``FLOOR_DATABASE_URL``)."""
    engine = make_engine(url or os.environ["FLOOR_DATABASE_URL"])
    app = Flask(__name__)

    @app.post("/events")
    def add_event() -> Response:
        key = request.form.get("idempotency_key", "")
        if not 16 <= len(key) <= 64:
            abort(400)
        for _attempt in range(2):
            try:
                with engine.begin() as conn:
                    row = conn.execute(select(events.c.id).where(events.c.idempotency_key == key)).scalar()
                    if row is None:
                        row = conn.execute(
                            insert(events).values(idempotency_key=key, occurred_at=dt.datetime.now(dt.UTC))
                        ).inserted_primary_key[0]
                return redirect(f"/events/{row}", 303)
            except IntegrityError:
                continue
        abort(409)

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


def app_factory() -> Flask:
    """Gunicorn entry point: ``gunicorn 'bench.floor_app:app_factory()'``."""
    return create_app()
