"""What the app logs, by name only: security events and audited actions (no Flask here).

Only ids, roles, codes and paths are logged — never form values, passwords, visitor codes or
notes (the canary test in tests/test_security_logs.py holds this). The JSON-lines formatter that
adds the request's who/where, and the app's handler, are in :mod:`roomlog.request_logs`.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

LOGGER_NAME = "roomlog"
_PENDING = "roomlog_audit_log_pending"


_SECURITY = logging.getLogger(f"{LOGGER_NAME}.security")  # one object per name for the process: look it up once


def security_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log a security event (login, failure, denial, approval) with its who/what/where."""
    _SECURITY.log(level, event, extra=fields)


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


def log_audits() -> None:
    """Log every audited action once committed (idempotent)."""
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
