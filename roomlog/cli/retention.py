"""``roomlog purge``: remove event-level records past the retention period, keeping the aggregates."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from roomlog import database
from roomlog.calendar import format_month, parse_month, today_local
from roomlog.cli.console import fail, fail_with
from roomlog.cli.owner import require_owner
from roomlog.extensions import db
from roomlog.i18n import message
from roomlog.models import Room
from roomlog.operations import retention
from roomlog.services import DomainError


@click.command("purge")
@click.option("--before", "before_text", metavar="YYYY-MM", help="First month to keep (default: the retention period).")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@with_appcontext
def purge_command(before_text: str | None, dry_run: bool) -> None:
    """Remove event-level records of approved months before YYYY-MM, keeping their monthly aggregates."""
    years = current_app.config["RETENTION_YEARS"]
    try:
        before = parse_month(before_text) if before_text else retention.default_before(today_local(), years)
    except (ValueError, DomainError) as exc:
        raise click.BadParameter(message(exc), param_hint="--before") from exc
    require_owner()
    if before > retention.default_before(today_local(), years):
        click.echo(f"Note: {format_month(before)} is inside the retention period of {years} years.")
    with database.immediate():
        plan = retention.plan(db.session, before)
        names = {room_id: name for room_id, name in db.session.execute(select(Room.id, Room.name))}
        _describe(plan, names, dry_run or bool(plan.refused))
        if plan.refused:
            fail("refused, nothing was removed. Approve these months first: " + "; ".join(plan.refused))
        if dry_run or not plan.total:
            db.session.rollback()
            return
        try:
            result = retention.purge(db.session, before)
        except DomainError as exc:
            fail_with(exc)
        db.session.commit()
    click.echo(f"Removed {sum(result.rows.values())} records and {result.visitors} visitors (audited).")


def _describe(plan: retention.PurgePlan, names: dict[int, str], dry_run: bool) -> None:
    verb = "Would remove" if dry_run else "Removing"
    click.echo(f"{verb} event records dated before {format_month(plan.before)}:")
    if not plan.total:
        click.echo("  nothing to remove.")
        return
    for room_id, months in plan.months.items():
        listed = ", ".join(format_month(m) for m in months)
        click.echo(f"  {names.get(room_id, room_id)}: {listed}")
    for table, count in sorted(plan.rows.items()):
        click.echo(f"  {table}: {count}")
    click.echo(f"  visitors no longer referenced: {plan.visitors}")
