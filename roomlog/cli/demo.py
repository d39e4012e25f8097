"""``roomlog demo`` and ``roomlog bench-data``: synthetic data, for trying roomlog and for measuring it."""

from __future__ import annotations

import datetime as dt
import logging
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from roomlog import database
from roomlog.calendar import parse_month, today_local
from roomlog.cli.console import fail_with, progress_bar, progress_lines
from roomlog.cli.owner import require_owner
from roomlog.extensions import db, publishing
from roomlog.operations import scale
from roomlog.services import DomainError


@click.command("demo")
@click.option(
    "--months",
    type=click.IntRange(0, 120),
    default=3,
    show_default=True,
    help="Months of synthetic activity to generate.",
)
@click.option("--seed", type=int, default=2022, show_default=True)
@click.option(
    "--today",
    "pinned",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Load and publish as if this were today (default: today in Copenhagen): a past date with the same seed "
    "and months gives the same figures whenever the command runs.",
)
@with_appcontext
def demo_command(months: int, seed: int, pinned: dt.datetime | None) -> None:
    """Load demo rooms, a user per role and synthetic activity (idempotent)."""
    from roomlog.operations.demo.loader import load
    from roomlog.services.publication import publish

    require_owner()
    today = pinned.date() if pinned else today_local()
    try:  # a --today the domain refuses (e.g. a pool year outside its range) is its message, not a traceback
        with progress_bar("Demo activity", file=None) as progress:
            result = load(
                db.session,
                pseudonym_key=current_app.config["PSEUDONYM_KEY"],
                pool_total_kr=int(current_app.config["POOL_TOTAL_DKK"]),
                months=months,
                seed=seed,
                today=today,
                progress=progress,
                hashing=current_app.config.get("ARGON2_PARAMS"),
            )
        db.session.commit()
        published = publish(db.session, today, publishing=publishing())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        fail_with(exc)
    click.echo(f"Published {len(published)} periods (every month all rooms have closed).")
    if result.skipped_reason:
        click.echo(result.skipped_reason)
    if result.logins:
        click.echo("\nDemo logins (http://127.0.0.1:5000/auth/login):")
        for username, password, what in result.logins:
            click.echo(f"  {username:<20} {password:<24} {what}")


@click.command("bench-data")
@click.option("--rooms", type=click.IntRange(1, len(scale.ROOMS)), default=10, show_default=True)
@click.option("--years", type=click.IntRange(1, 15), default=1, show_default=True, help="Years up to this month.")
@click.option("--from", "first_text", metavar="YYYY-MM", help="First month instead of --years.")
@click.option("--seed", type=int, default=2022, show_default=True)
@click.option(
    "--in-process",
    is_flag=True,
    help="Build the rows in this process too (by default a second process builds the next months meanwhile).",
)
@click.option(
    "--row-checks",
    is_flag=True,
    help="PostgreSQL: keep every constraint, index and guard on during the load (by default they are taken off "
    "and put back at the end, which checks every row).",
)
@with_appcontext
def bench_data_command(
    rooms: int, years: int, first_text: str | None, seed: int, in_process: bool, row_checks: bool
) -> None:
    """Add synthetic busy rooms and years of approved history for `make bench` (missing months only).

    Each room-month is inserted in bulk (executemany on SQLite, COPY on PostgreSQL) and approved through
    the approval service (checks, snapshot, visitor sets), then committed; nothing is published (run
    `roomlog publish` afterwards). A progress bar on a terminal, a line every few percent otherwise.
    """
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
        with database.immediate(), progress_bar("Bench data") as bar:
            result = scale.generate(
                db.session,
                key=current_app.config["PSEUDONYM_KEY"],
                rooms=rooms,
                years=years,
                first=first,
                seed=seed,
                progress=bar if sys.stderr.isatty() else progress_lines("Bench data", "room-months"),
                checkpoint=db.session.commit,
                in_process=in_process,
                bulk=not row_checks,
            )
            db.session.commit()
    except DomainError as exc:
        fail_with(exc)
    finally:
        security_log.setLevel(level)
    click.echo(f"Added {len(result.months)} room-months ({result.rows} rows).")
    if result.bulk is not None:
        click.echo(
            f"Bulk load: {len(result.bulk.constraints)} constraints and {len(result.bulk.indexes)} indexes put back "
            "(every row checked), event guards on, every row in a planned room-month."
        )
    if result.seconds:
        spent = ", ".join(f"{phase} {seconds:.0f} s" for phase, seconds in result.seconds.items())
        click.echo(f"Time: {spent}.")
