"""Publish what became due after a change (approval, acceptance, history import): flushes, never commits.

What publishing needs from the app comes in as a :class:`Publishing` (built from its configuration,
with the auth layer's scope lift): passed by the caller, or put on the session by the app wiring
(``roomlog.extensions``, ``session.info["publishing"]``) for the use cases that publish after a change.
Nothing here reads the app or the request.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from roomlog.calendar import today_local
from roomlog.reporting.publication import publish_due
from roomlog.reporting.publication.service import ScopeLift
from roomlog.services import audit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Publishing:
    """The suppression threshold, the days after month end a month locks, and the lift to every room's scope."""

    threshold: int
    lock_after_days: int
    national_scope: ScopeLift


def publish(session: Session, today: dt.date | None = None, *, publishing: Publishing) -> list[str]:
    """Publish every closed month, quarter and year that is due, for the whole country."""
    published = publish_due(
        session,
        today or today_local(),
        threshold=publishing.threshold,
        lock_after_days=publishing.lock_after_days,
        national_scope=publishing.national_scope,
    )
    out = published.periods
    if out:
        changes = {"periods": out[:60], "count": len(out), "snapshots": published.snapshots}
        audit.record(session, "publication.publish", changes=changes)
    return out


def bound_publishing(session: Session) -> Publishing:
    """The publishing settings the app wiring put on this session when it began."""
    found = session.info.get("publishing")
    if not isinstance(found, Publishing):
        raise RuntimeError("no publishing settings on this session: pass publishing= (roomlog.extensions.publishing)")
    return found


def publish_quietly(
    session: Session, today: dt.date | None = None, *, publishing: Publishing | None = None
) -> list[str]:
    """Publish what is due, but never let a failure undo the caller's change (``roomlog publish`` retries)."""
    try:
        with session.begin_nested():
            return publish(session, today, publishing=publishing or bound_publishing(session))
    except Exception:
        log.exception("publication: publishing after a change failed; run `roomlog publish`")
        return []
