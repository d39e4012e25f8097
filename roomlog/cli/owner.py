"""The schema owner's connection, which maintenance commands need (PostgreSQL)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from roomlog.cli.console import fail
from roomlog.extensions import db


def database_url() -> str:
    """Return the owner's URL if configured, else the app's (relative SQLite paths resolved)."""
    owner = current_app.config.get("OWNER_DATABASE_URL")
    if owner and db.engine.dialect.name == "postgresql":
        return str(owner)
    return db.engine.url.render_as_string(hide_password=False)


def require_owner() -> None:
    """Stop unless this connection owns the schema (PostgreSQL): maintenance never runs as the app role."""
    if db.engine.dialect.name != "postgresql":
        return
    owns = db.session.scalar(
        text("SELECT pg_has_role(current_user, relowner, 'MEMBER') FROM pg_class WHERE oid = to_regclass('visits')")
    )
    if not owns:
        fail(
            "this command needs the schema owner's connection: set ROOMLOG_OWNER_DATABASE_URL "
            "(README, Deployment); the app's role may not do it"
        )
