"""Publish what became due after a change (approval, acceptance, history import): flushes, never commits."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy.orm import Session

from roomlog.reporting.publication import publish_due
from roomlog.services.periods import today_local

log = logging.getLogger(__name__)


def publish(session: Session, today: dt.date | None = None) -> list[str]:
    """Publish every closed month, quarter and year that is due, for the whole country."""
    config = current_app.config
    return publish_due(
        session,
        today or today_local(),
        threshold=int(config["SUPPRESSION_THRESHOLD"]),
        lock_after_days=int(config["LOCK_AFTER_DAYS"]),
    )


def publish_quietly(session: Session, today: dt.date | None = None) -> list[str]:
    """Publish what is due, but never let a failure undo the caller's change (``roomlog publish`` retries)."""
    try:
        with session.begin_nested():
            return publish(session, today)
    except Exception:
        log.exception("publication: publishing after a change failed; run `roomlog publish`")
        return []
