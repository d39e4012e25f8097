"""``/healthz`` for load balancers: the database answers and its schema is at the migration head.

The answer carries no data, versions or authentication details: ``{"status": "ok"}`` with 200,
or ``{"status": "unavailable"}`` with 503. The reason for a 503 goes to the log only.
"""

from __future__ import annotations

import logging
from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from roomlog import PROJECT_ROOT
from roomlog.auth.access import public
from roomlog.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger("roomlog.health")


@cache
def migration_heads() -> frozenset[str]:
    """Return the head revisions of the migration scripts shipped with this code."""
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_problem() -> str | None:
    """Return why the database is not ready (unreachable, not migrated, behind), or ``None``."""
    try:
        with db.engine.connect() as conn:
            current = frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError as exc:
        return f"database unreachable or not migrated ({type(exc).__name__})"
    if current != migration_heads():
        return "database schema is not at the migration head (run `roomlog db upgrade`)"
    return None


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """Answer 200 when the database is reachable and migrated to head, else 503."""
    problem = database_problem()
    if problem:
        log.warning("health check failed: %s", problem)
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok"), 200
