"""roomlog: the operations log of a drug consumption room (stofindtagelsesrum)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from inspect import CO_COROUTINE
from pathlib import Path
from types import FunctionType
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class _App(Flask):
    """Flask, asking less per request whether a hook is a coroutine function."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Return ``func`` itself when it is a plain ``def`` function (what Flask finds out through ``inspect``).

        Flask calls this for every hook and the view of every request; ``inspect.iscoroutinefunction``
        unwraps methods and partials first. A plain function is a coroutine function exactly when its
        code says so (or, from Python 3.12, ``inspect.markcoroutinefunction`` marked it); anything
        else goes to Flask's own check.
        """
        if type(func) is FunctionType and "_is_coroutine_marker" not in func.__dict__:
            return super().ensure_sync(func) if func.__code__.co_flags & CO_COROUTINE else func
        return super().ensure_sync(func)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → errors → CLI."""
    app = _App(
        __name__,
        instance_path=os.environ.get("ROOMLOG_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    from roomlog.config import load_config

    app.config.from_mapping(load_config(app.instance_path, overrides=test_config))

    from roomlog import database, errors, extensions, i18n, publication_runs, request_logs, security
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
    publication_runs.init_app(app)
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
