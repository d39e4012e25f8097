"""Warm a gunicorn worker before it serves: templates compiled, translations loaded, stored cells read.

``wsgi.py`` calls :func:`warm_worker` once per worker (gunicorn imports it in each worker), so the
first municipality or national page of a fresh worker costs what a later one does. Failures are
logged and ignored: a worker that could not warm up still serves, only its first page is slower.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from decimal import Decimal

from flask import Flask, g
from flask_babel import get_translations

from roomlog.extensions import db, publication_cells
from roomlog.i18n import local_date, number
from roomlog.reporting.publication.warm import warm
from roomlog.reports.warm import NO_ROOM, warm_summary

log = logging.getLogger(__name__)

#: Template folders the aggregate pages render from (compiled ahead; the rest compile on first use).
TEMPLATE_PREFIXES = (
    "base",
    "auth/_",
    "macros/",
    "municipality/",
    "national/",
    "annual/",
    "aggregates/",
    "errors/",
    "reports/",
    "pdf/",
)


def compile_templates(app: Flask) -> int:
    """Compile the aggregate pages' templates into the app's Jinja cache; return how many."""
    names = [n for n in app.jinja_env.list_templates(extensions=["html"]) if n.startswith(TEMPLATE_PREFIXES)]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


def warm_worker(app: Flask) -> None:
    """Compile templates, load the Danish catalogue, read the default pages' stored cells and warm the summary."""
    try:
        templates = compile_templates(app)
        with app.test_request_context("/", headers={"Accept-Language": "da"}):
            get_translations()
            for value, digits in ((1234, 0), (Decimal("12.5"), 2)):
                number(value, digits)  # Babel's Danish number data, loaded once
            local_date(dt.date(2026, 1, 1))
            # Publications are not room data: read them as the CLI does, with every room in scope.
            g.scope_room_ids, g.scope_decided = None, True
            try:
                periods = warm(db.session(), publication_cells(), int(app.config["SUPPRESSION_THRESHOLD"]))
            finally:
                db.session.rollback()
                db.session.remove()
        log.info("warm-up: %d templates compiled, %d periods read", templates, periods)
    except Exception:  # a worker that could not warm up still serves
        log.exception("warm-up failed; the first page of this worker will be slower")
    finally:
        _warm_summary(app)
        _freeze()


def _freeze() -> None:
    """Move what the warm-up built (caches, compiled templates and statements) out of the garbage collector's sight.

    Without it the first full collection of a worker, due during its first requests, walks every one of
    those objects: on a large demo that added some 600 ms to the first summary page.
    """
    gc.collect()
    gc.freeze()


def _warm_summary(app: Flask) -> None:
    """Compile the room summary's statements and templates and load the PDF renderer (no room's data)."""
    try:
        with app.test_request_context("/", headers={"Accept-Language": "da"}):
            # Scoped as a staff or lead request is (the statements compile alike), to a room that is not there.
            g.scope_room_ids, g.scope_decided = frozenset({NO_ROOM}), True
            try:
                warm_summary(db.session())
            finally:
                db.session.rollback()
                db.session.remove()
        log.info("warm-up: the monthly summary and its PDF rendered once")
    except Exception:  # as above: the first summary of this worker will be slower
        log.exception("warm-up of the monthly summary failed")
