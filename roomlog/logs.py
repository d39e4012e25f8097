"""Structured application logs: one JSON object per line, UTC, with who/what/where.

``json.dumps`` escapes every control character (newlines, ``ESC``), so a hostile username
or path can never forge a second log line or colour a terminal: log injection is
neutralised by construction. Only ids, roles, codes and paths are logged — never form
values, passwords, visitor codes or notes (the canary test in tests/test_security_logs.py
holds this).
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
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

LOGGER_NAME = "roomlog"
_MARK = "_roomlog_handler"
_PENDING = "roomlog_audit_log_pending"
# Attributes every LogRecord has; anything else was passed in ``extra=`` and is logged.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


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
        return json.dumps(entry, default=str, ensure_ascii=True)


def security_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log a security event (login, failure, denial, approval) with its who/what/where."""
    logging.getLogger(f"{LOGGER_NAME}.security").log(level, event, extra=fields)


def _audit_inserted(_mapper: Any, _connection: Any, target: Any) -> None:
    log_audit_entry(object_session(target), target)


def log_audit_entry(session: Session | None, target: Any) -> None:
    """Log an audit entry (without its changes or reason) once ``session`` commits."""
    fields = {
        "action": target.action,
        "entity": target.entity,
        "entity_id": target.entity_id,
        "room": target.room_id,
        "actor": target.user_id,
    }
    if session is None:
        security_event("audit", **fields)
    else:  # logged once committed: no log line for what was rolled back, no file write while the write lock is held
        session.info.setdefault(_PENDING, []).append(fields)


def _audit_committed(session: Session) -> None:
    for fields in session.info.pop(_PENDING, ()):
        security_event("audit", **fields)


def _audit_rolled_back(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


def configure(app: Flask) -> None:
    """Send the ``roomlog`` loggers to stderr (or ``LOG_FILE``) as JSON lines (idempotent)."""
    logger = logging.getLogger(LOGGER_NAME)
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
    from roomlog.models import AuditEntry

    # Every audited action (approvals, corrections, account changes) also lands in the log,
    # without its ``changes`` or ``reason`` (they may hold free text).
    if not event.contains(AuditEntry, "after_insert", _audit_inserted):
        event.listen(AuditEntry, "after_insert", _audit_inserted)
    for name, listener in (
        ("after_commit", _audit_committed),
        ("after_rollback", _audit_rolled_back),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
