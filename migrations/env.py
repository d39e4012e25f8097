"""Alembic environment: the app's engine and metadata, batch mode for SQLite."""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def _options(connection_dialect: str) -> dict[str, object]:
    return {
        "target_metadata": target_metadata,
        "render_as_batch": connection_dialect == "sqlite",
        "compare_type": True,
        "compare_server_default": True,
    }


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    url = str(db.engine.url)
    context.configure(url=url, literal_binds=True, **_options(db.engine.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on the app's engine."""
    connectable = db.engine
    with connectable.connect() as connection:
        context.configure(connection=connection, **_options(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
