"""``roomlog token create`` and ``roomlog token revoke``: bearer tokens for the aggregate API, printed once."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from roomlog.cli.console import fail, fail_with
from roomlog.extensions import db
from roomlog.models import ApiToken, User
from roomlog.services import DomainError


@click.group("token")
def token_group() -> None:
    """Manage API tokens."""


@token_group.command("create")
@click.option("--user", "username", required=True, help="A municipality or national user.")
@click.option("--name", default="", help="What the token is for, e.g. the BI tool.")
@with_appcontext
def token_create(username: str, name: str) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    from roomlog.services.tokens import create_token

    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        fail(f"no user named {username!r}")
    try:
        new = create_token(db.session, user, name)
    except DomainError as exc:
        fail_with(exc)
    db.session.commit()
    click.echo(
        f"Token {new.token.prefix}… for {user.username} ({user.role.value}). Copy it now; it is not shown again:"
    )
    click.echo(new.value)


@token_group.command("revoke")
@click.option("--prefix", required=True, help="The first characters of the token, as listed.")
@with_appcontext
def token_revoke(prefix: str) -> None:
    """Revoke the API token with this prefix."""
    from roomlog.services.tokens import revoke_token

    matches = list(db.session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)))
    if len(matches) != 1:
        fail(f"{len(matches)} tokens have the prefix {prefix!r}")
    revoke_token(db.session, matches[0])
    db.session.commit()
    click.echo(f"Revoked token {prefix}….")
