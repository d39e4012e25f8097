"""The ``roomlog`` command: a Flask CLI group (``roomlog db upgrade``, ``roomlog demo`` …).

One module per group of commands; ``register_commands`` is the one place that puts them on the app.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


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


def register_commands(app: Flask) -> None:
    """Attach the roomlog command groups to the app's CLI."""
    from roomlog.cli import audit, backups, demo, guards, history, publication, retention, rooms, secrets, tokens, users

    commands = (
        users.user_group,
        rooms.room_group,
        demo.demo_command,
        publication.publish_command,
        tokens.token_group,
        history.import_history_command,
        audit.audit_group,
        backups.backup_command,
        backups.restore_command,
        retention.purge_command,
        secrets.secrets_group,
        guards.guards_group,
        demo.bench_data_command,
    )
    for command in commands:
        app.cli.add_command(command)
