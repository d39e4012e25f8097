"""``roomlog guards sync``: PostgreSQL's guards follow the configuration."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import text

from roomlog.cli.owner import require_owner
from roomlog.extensions import db
from roomlog.services import audit


@click.group("guards")
def guards_group() -> None:
    """PostgreSQL's guards (migration security_roles_and_secrets)."""


@guards_group.command("sync")
@with_appcontext
def guards_sync() -> None:
    """Write ROOMLOG_LOCK_AFTER_DAYS into the database's month lock (as the owner)."""
    if db.engine.dialect.name != "postgresql":
        click.echo("Nothing to do: SQLite has no database guards (the app's checks apply).")
        return
    require_owner()
    days = int(current_app.config["LOCK_AFTER_DAYS"])
    # The same definition as lock_days_function() in migration 0008 (security_roles_and_secrets).
    db.session.execute(
        text(
            "CREATE OR REPLACE FUNCTION roomlog_lock_after_days() RETURNS integer "
            f"LANGUAGE sql IMMUTABLE AS $$ SELECT {days} $$"
        )
    )
    audit.record(db.session, "guards.sync", changes={"lock_after_days": days})
    db.session.commit()
    click.echo(f"Months now lock {days} days after month end in the database too.")
