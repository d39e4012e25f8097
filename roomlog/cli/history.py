"""``roomlog import-history FILE.csv``: monthly totals from before a room used roomlog."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from roomlog.cli.owner import require_owner
from roomlog.extensions import db, publishing


@click.command("import-history")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Validate the file only; change nothing.")
@with_appcontext
def import_history_command(path: Path, check: bool) -> None:
    """Import monthly history (CSV: room,month,indicator,value); all lines or none."""
    from roomlog.services import history

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        click.echo(f"Error: {path} is not UTF-8 text. Nothing was imported.", err=True)
        sys.exit(1)
    lines = text.splitlines(keepends=True)
    try:
        if check:
            parsed = history.check(db.session, lines)
            click.echo(f"{path}: {len(parsed)} lines are valid. Nothing was imported (--check).")
            return
        require_owner()
        result = history.import_history(db.session, lines, publish=False)
    except history.HistoryImportError as exc:
        db.session.rollback()
        for number, message in exc.errors:
            click.echo(f"{path}:{number}: {message}", err=True)
        click.echo(f"Error: {len(exc.errors)} problem(s) found. Nothing was imported.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(
        f"Imported {result.added + result.replaced} values for {result.months} room-months"
        f"{f' and {result.years} room-years' if result.years else ''} "
        f"({result.added} new, {result.replaced} replaced)."
    )
    # The import is committed: publishing what it made due cannot undo it (`roomlog publish` retries a failure).
    from roomlog.services.publication import publish_after_change

    publish_after_change(db.session, publishing=publishing())
