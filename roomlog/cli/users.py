"""``roomlog user create``: user accounts."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from roomlog.cli.console import fail, fail_with, room_named
from roomlog.extensions import db
from roomlog.models import Municipality
from roomlog.models.codes import Role
from roomlog.services import DomainError


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
    room_rows = [room_named(name) for name in rooms]
    kommune = None
    if municipality:
        kommune = db.session.get(Municipality, municipality)
        if kommune is None:
            fail(f"no municipality with code {municipality!r}")
    try:
        user = create_user(
            db.session,
            username=username,
            password=password,
            role=Role(role),
            rooms=room_rows,
            municipality=kommune,
            can_backdate=can_backdate,
            hashing=current_app.config.get("ARGON2_PARAMS"),
        )
    except DomainError as exc:
        fail_with(exc)
    db.session.commit()
    click.echo(f"Created user {user.username} ({user.role.value}).")
