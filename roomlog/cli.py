"""The ``roomlog`` command: a Flask CLI group (``roomlog db upgrade``, ``roomlog demo`` …)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import NoReturn

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from roomlog.extensions import db
from roomlog.models import Municipality, Room
from roomlog.models.codes import INITIAL_PERMITS, PermitStatus, Role
from roomlog.services import DomainError


def _create_app() -> Flask:
    from roomlog import create_app

    # The command line is maintenance: it connects as the schema owner when
    # ROOMLOG_OWNER_DATABASE_URL is set (gunicorn serves as the app role).
    return create_app({"DATABASE_AS_OWNER": True})


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_version_option=False,
    add_default_commands=True,
    load_dotenv=False,
    set_debug_flag=False,
)
def main() -> None:
    """roomlog — the operations log of a drug consumption room."""


def _fail(message: str) -> NoReturn:
    db.session.rollback()
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.group("user")
def user_group() -> None:
    """Manage user accounts."""


@user_group.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(Role.codes()))
@click.option("--room", "rooms", multiple=True, help="Room name (repeat for several rooms).")
@click.option("--municipality", help="Municipality code for role municipality, e.g. 101.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--can-backdate", is_flag=True, help="Allow entering back-dated records.")
@with_appcontext
def user_create(
    username: str, role: str, rooms: tuple[str, ...], municipality: str | None, password_stdin: bool, can_backdate: bool
) -> None:
    """Create a user (the password is prompted for, or read with --password-stdin)."""
    from roomlog.services.accounts import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    room_rows = []
    for name in rooms:
        room = db.session.scalar(select(Room).where(func.lower(Room.name) == name.lower()))
        if room is None:
            _fail(f"no room named {name!r}")
        room_rows.append(room)
    kommune = None
    if municipality:
        kommune = db.session.get(Municipality, municipality)
        if kommune is None:
            _fail(f"no municipality with code {municipality!r}")
    try:
        user = create_user(
            db.session,
            username=username,
            password=password,
            role=Role(role),
            rooms=room_rows,
            municipality=kommune,
            can_backdate=can_backdate,
        )
    except DomainError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Created user {user.username} ({user.role.value}).")


@click.group("room")
def room_group() -> None:
    """Manage rooms."""


@room_group.command("create")
@click.option("--name", required=True)
@click.option("--municipality", required=True, help="Municipality code, e.g. 101.")
@click.option(
    "--permit", required=True, type=click.Choice([p.value for p in INITIAL_PERMITS]), help="The permit's status."
)
@click.option("--permit-date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="Its date YYYY-MM-DD.")
@click.option("--opened", type=click.DateTime(formats=["%Y-%m-%d"]), help="Opening date YYYY-MM-DD.")
@click.option("--places-injection", type=click.IntRange(0, 99), default=0)
@click.option("--places-smoking", type=click.IntRange(0, 99), default=0)
@with_appcontext
def room_create(
    name: str,
    municipality: str,
    permit: str,
    permit_date: dt.datetime,
    opened: dt.datetime | None,
    places_injection: int,
    places_smoking: int,
) -> None:
    """Create a room with its permit status and date."""
    from roomlog.services.rooms import create_room

    try:
        room = create_room(
            db.session,
            name=name,
            municipality_code=municipality,
            permit_status=PermitStatus(permit),
            permit_date=permit_date.date(),
            opened_on=opened.date() if opened else None,
            places_injection=places_injection,
            places_smoking=places_smoking,
        )
    except DomainError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Created room {room.name} (id {room.id}), permit {room.permit_status.value} {room.permit_date}.")


@room_group.command("permit")
@click.option("--name", required=True, help="The room's name.")
@click.option("--status", required=True, type=click.Choice(PermitStatus.codes()))
@click.option("--date", "on", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD.")
@click.option("--note", default="", help="E.g. the ministry's reference.")
@with_appcontext
def room_permit(name: str, status: str, on: dt.datetime, note: str) -> None:
    """Record the next step of a room's permit (planned, applied, granted, refused, withdrawn)."""
    from roomlog.services.permits import change_permit

    room = db.session.scalar(select(Room).where(func.lower(Room.name) == name.lower()))
    if room is None:
        _fail(f"no room named {name!r}")
    try:
        change_permit(db.session, room, PermitStatus(status), on.date(), note=note)
    except DomainError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Permit of {room.name}: {room.permit_status.value} on {room.permit_date}.")


@click.command("demo")
@click.option(
    "--months",
    type=click.IntRange(0, 120),
    default=3,
    show_default=True,
    help="Months of synthetic activity to generate.",
)
@click.option("--seed", type=int, default=2022, show_default=True)
@with_appcontext
def demo(months: int, seed: int) -> None:
    """Load demo rooms, a user per role and synthetic activity (idempotent)."""
    from roomlog.operations.cli import require_owner
    from roomlog.services import demo as demo_service
    from roomlog.services.publication import publish

    require_owner()
    result = demo_service.load(db.session, months=months, seed=seed, echo=click.echo)
    db.session.commit()
    published = publish(db.session)
    db.session.commit()
    click.echo(f"Published {len(published)} periods (every month all rooms have closed).")
    if result.skipped_reason:
        click.echo(result.skipped_reason)
    if result.logins:
        click.echo("\nDemo logins (http://127.0.0.1:5000/auth/login):")
        for username, password, what in result.logins:
            click.echo(f"  {username:<20} {password:<24} {what}")


@click.command("publish")
@with_appcontext
def publish_command() -> None:
    """Publish every closed month, quarter and year that is due (run daily: months lock by date)."""
    from roomlog.services.publication import publish

    published = publish(db.session)
    db.session.commit()
    click.echo(f"Published {len(published)} periods" + (f": {', '.join(published[:24])}" if published else "."))


def register_commands(app: Flask) -> None:
    """Attach the roomlog command groups to the app's CLI."""
    from roomlog.api.cli import token_group
    from roomlog.operations.cli import COMMANDS as operations_commands
    from roomlog.reports.cli import import_history_command

    commands = (user_group, room_group, demo, publish_command, token_group, import_history_command)
    for command in (*commands, *operations_commands):
        app.cli.add_command(command)
