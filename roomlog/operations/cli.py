"""Operations commands: ``roomlog audit verify``, ``roomlog backup``, ``roomlog restore``, ``roomlog purge``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select, text

from roomlog import database
from roomlog.extensions import db
from roomlog.i18n import message
from roomlog.models import AuditEntry, Room
from roomlog.operations import backup as backups
from roomlog.operations import retention, scale
from roomlog.services import DomainError, audit
from roomlog.services.periods import today_local
from roomlog.services.service_days import format_month, parse_month


def _fail(message: str) -> None:
    db.session.rollback()
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@contextmanager
def _bar(label: str) -> Iterator[backups.Progress]:
    """Yield a progress callback drawing a click progress bar (on stderr)."""
    bar = None
    shown = 0

    def advance(done: int, total: int) -> None:
        nonlocal bar, shown
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(max(done - shown, 0))
        shown = max(done, shown)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _database_url() -> str:
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
        _fail(
            "this command needs the schema owner's connection: set ROOMLOG_OWNER_DATABASE_URL "
            "(README, Deployment); the app's role may not do it"
        )


@click.group("audit")
def audit_group() -> None:
    """Check the audit log."""


@audit_group.command("verify")
@click.option(
    "--expect",
    "expected",
    multiple=True,
    metavar="HASH",
    help="A hash printed by an earlier run; it must still be in the chain (catches removed newest entries).",
)
@with_appcontext
def audit_verify(expected: tuple[str, ...]) -> None:
    """Walk the hash chain of the audit log; exit 1 and name each changed or removed entry."""
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000)
    count = 0
    last = audit.GENESIS
    seen: set[str] = set()

    def counted() -> Iterator[AuditEntry]:
        nonlocal count, last
        for entry in entries:
            count += 1
            last = entry.hash
            if entry.hash in expected:
                seen.add(entry.hash)
            yield entry

    problems = audit.verify(counted())
    problems += [
        f"the entry with hash {h} recorded earlier is gone (entries removed)" for h in expected if h not in seen
    ]
    for problem in problems:
        click.echo(f"TAMPERED {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"Audit log intact: {count} entries, last hash {last}.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent backup of the live database to the new file PATH (no secrets inside)."""
    try:
        with _bar("Backing up") as progress:
            backups.backup(_database_url(), path, progress)
    except backups.BackupError as exc:
        _fail(str(exc))
    click.echo(f"Backup written to {path} ({path.stat().st_size} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@with_appcontext
def restore_command(path: Path) -> None:
    """Restore the backup PATH into the configured database, which must be empty."""
    url = _database_url()
    db.session.remove()
    db.engine.dispose()
    try:
        with _bar("Restoring") as progress:
            backups.restore(url, path, progress)
    except backups.BackupError as exc:
        _fail(str(exc))
    click.echo(f"Restored {path}. Check it with `roomlog audit verify` and `roomlog db current`.")


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
            _fail("refused, nothing was removed. Approve these months first: " + "; ".join(plan.refused))
        if dry_run or not plan.total:
            db.session.rollback()
            return
        try:
            result = retention.purge(db.session, before)
        except DomainError as exc:
            _fail(message(exc))
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


@click.group("secrets")
def secrets_group() -> None:
    """Manage the secrets sealed with ROOMLOG_DATA_KEY."""


@secrets_group.command("rotate")
@with_appcontext
def secrets_rotate() -> None:
    """Re-seal every TOTP secret with the first key of ROOMLOG_DATA_KEY."""
    from roomlog.auth import sealing
    from roomlog.models import User

    count = 0
    for user in db.session.scalars(select(User).where(User.totp_secret.is_not(None))):
        try:
            user.totp_secret = sealing.reseal(user.totp_secret or "")
        except sealing.SealError as exc:
            _fail(f"{exc}: keep the old key in ROOMLOG_DATA_KEY (after the new one) until rotation is done")
        count += 1
    audit.record(db.session, "secrets.rotate", changes={"values": count})
    db.session.commit()
    click.echo(f"{count} sealed values now use the first key of ROOMLOG_DATA_KEY; the others may be removed.")


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


@click.command("bench-data")
@click.option("--rooms", type=click.IntRange(1, len(scale.ROOMS)), default=10, show_default=True)
@click.option("--years", type=click.IntRange(1, 15), default=1, show_default=True, help="Years up to this month.")
@click.option("--from", "first_text", metavar="YYYY-MM", help="First month instead of --years.")
@click.option("--seed", type=int, default=2022, show_default=True)
@with_appcontext
def bench_data_command(rooms: int, years: int, first_text: str | None, seed: int) -> None:
    """Add synthetic busy rooms and years of approved history for `make bench` (missing months only)."""
    try:
        first = parse_month(first_text) if first_text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--from") from exc
    require_owner()  # bulk COPY and history into locked months: the schema owner's connection
    # Each approval still writes its audit entry; only its copy on the console log is held back,
    # so a thousand synthetic approvals do not bury the progress bar.
    security_log = logging.getLogger("roomlog.security")
    level = security_log.level
    security_log.setLevel(logging.WARNING)
    try:
        with database.immediate(), _bar("Bench data") as progress:
            result = scale.generate(
                db.session,
                key=current_app.config["PSEUDONYM_KEY"],
                rooms=rooms,
                years=years,
                first=first,
                seed=seed,
                progress=progress,
                checkpoint=db.session.commit,
            )
            db.session.commit()
    except DomainError as exc:
        _fail(message(exc))
    finally:
        security_log.setLevel(level)
    click.echo(f"Added {len(result.months)} room-months ({result.rows} rows).")


COMMANDS = (
    audit_group,
    backup_command,
    restore_command,
    purge_command,
    secrets_group,
    guards_group,
    bench_data_command,
)
