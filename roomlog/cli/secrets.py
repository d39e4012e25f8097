"""``roomlog secrets rotate``: re-seal secrets with the newest data key."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from roomlog.cli.console import fail
from roomlog.extensions import db
from roomlog.services import audit


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
            fail(f"{exc}: keep the old key in ROOMLOG_DATA_KEY (after the new one) until rotation is done")
        count += 1
    audit.record(db.session, "secrets.rotate", changes={"values": count})
    db.session.commit()
    click.echo(f"{count} sealed values now use the first key of ROOMLOG_DATA_KEY; the others may be removed.")
