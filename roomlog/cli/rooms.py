"""``roomlog room create`` and ``roomlog room permit``: rooms and their permits."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from roomlog.cli.console import fail_with, room_named
from roomlog.extensions import db
from roomlog.models.codes import INITIAL_PERMITS, PermitStatus
from roomlog.services import DomainError


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
        fail_with(exc)
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

    room = room_named(name)
    try:
        change_permit(db.session, room, PermitStatus(status), on.date(), note=note)
    except DomainError as exc:
        fail_with(exc)
    db.session.commit()
    click.echo(f"Permit of {room.name}: {room.permit_status.value} on {room.permit_date}.")
