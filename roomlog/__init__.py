"""roomlog: the operations log of a drug consumption room (stofindtagelsesrum)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → errors → CLI."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("ROOMLOG_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    from roomlog.config import load_config

    app.config.from_mapping(load_config(app.instance_path, overrides=test_config))

    from roomlog import database, errors, extensions, i18n, request_logs, security
    from roomlog.auth import sessions
    from roomlog.blueprints import register_blueprints
    from roomlog.cli import register_commands
    from roomlog.services import locks, publication
    from roomlog.web import templating

    request_logs.configure(app)
    database.init_app(app)
    # The use cases read the lock period and the publishing settings through these providers, which
    # read this app's configuration when asked: the services themselves never import Flask.
    locks.provide_lock_days(extensions.lock_after_days)
    publication.provide_settings(extensions.publishing)
    extensions.migrate.init_app(app, extensions.db, directory=str(PROJECT_ROOT / "migrations"))
    extensions.csrf.init_app(app)
    extensions.init_limiter(app)
    i18n.init_app(app)
    templating.init_app(app)
    sessions.init_app(app)
    security.init_app(app)
    register_blueprints(app)
    errors.init_app(app)
    register_commands(app)
    return app
