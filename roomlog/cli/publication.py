"""``roomlog publish``: publish what is due."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from roomlog.extensions import db, publishing


@click.command("publish")
@with_appcontext
def publish_command() -> None:
    """Publish every closed month, quarter and year that is due (run daily: months lock by date).

    Commits in short steps and never holds the write lock while protecting (``publish_in_steps``).
    """
    from roomlog.services.publication import publish_in_steps

    published = publish_in_steps(db.session, publishing=publishing())
    click.echo(f"Published {len(published)} periods" + (f": {', '.join(published[:24])}" if published else "."))
