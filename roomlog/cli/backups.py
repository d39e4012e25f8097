"""``roomlog backup`` and ``roomlog restore``: a consistent copy of the database, and back."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from roomlog.cli.console import fail, progress_bar
from roomlog.cli.owner import database_url
from roomlog.extensions import db
from roomlog.operations import backup as backups


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent backup of the live database to the new file PATH (no secrets inside)."""
    try:
        with progress_bar("Backing up") as progress:
            backups.backup(database_url(), path, progress)
    except backups.BackupError as exc:
        fail(str(exc))
    click.echo(f"Backup written to {path} ({path.stat().st_size} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@with_appcontext
def restore_command(path: Path) -> None:
    """Restore the backup PATH into the configured database, which must be empty."""
    url = database_url()
    db.session.remove()
    db.engine.dispose()
    try:
        with progress_bar("Restoring") as progress:
            backups.restore(url, path, progress)
    except backups.BackupError as exc:
        fail(str(exc))
    click.echo(f"Restored {path}. Check it with `roomlog audit verify` and `roomlog db current`.")
