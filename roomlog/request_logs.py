"""Structured application logs: one JSON object per line, UTC, with the request's who/what/where.

``json.dumps`` escapes every control character (newlines, ``ESC``), so a hostile username
or path can never forge a second log line or colour a terminal: log injection is
neutralised by construction. The app factory's wiring (``configure``); what the domain logs
(security events, audited actions) is named in :mod:`roomlog.logs`, which imports no Flask.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import sys
from typing import Any

from flask import Flask, g, has_request_context, request

from roomlog import logs

_MARK = "_roomlog_handler"
# Attributes every LogRecord has; anything else was passed in ``extra=`` and is logged.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
#: ``json.dumps(entry, default=str, ensure_ascii=True)``, its encoder made once.
_ENCODER = json.JSONEncoder(default=str, ensure_ascii=True)


def request_id() -> str:
    """Return this request's id, giving it one now if nothing did yet (errors before the guard)."""
    if "request_id" not in g or not g.request_id:
        g.request_id = secrets.token_hex(8)
    return str(g.request_id)


def _request_fields() -> dict[str, Any]:
    if not has_request_context():
        return {}
    fields: dict[str, Any] = {
        "request_id": request_id(),
        "method": request.method,
        "path": request.path,
        "ip": request.remote_addr,
    }
    user = g.get("_login_user")  # only if Flask-Login already loaded it: logging never queries
    if user is not None and getattr(user, "is_authenticated", False):
        fields["user_id"] = user.id
        fields["role"] = user.role.value
    return fields


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line with UTC time and the request's who/where."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            "pid": record.process,
        }
        try:
            entry.update(_request_fields())
        except Exception:  # logging must never fail the request
            entry["request_fields"] = "unavailable"
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info and record.exc_info[0] is not None:
            # Type and innermost frame only: exception texts can carry SQL parameters and form values.
            entry["exception"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                entry["where"] = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
        return _ENCODER.encode(entry)


def configure(app: Flask) -> None:
    """Send the ``roomlog`` loggers to stderr (or ``LOG_FILE``) as JSON lines (idempotent)."""
    logger = logging.getLogger(logs.LOGGER_NAME)
    for old in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(old)
        old.close()
    path = app.config.get("LOG_FILE")
    if path and not os.path.exists(path):  # the log names users and rooms: private from the start
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler: logging.Handler = (
        logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler(sys.stderr)
    )
    setattr(handler, _MARK, True)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logger.propagate = False
    logs.log_audits()
