"""Publish what became due after a change (approval, acceptance, history import): flushes, never commits.

What publishing needs from the app comes in as a :class:`Publishing` (built from its configuration,
with the auth layer's scope lift): passed by the caller, or read through the provider the app factory
registers (``provide_settings``) for the use cases that publish after a change.
Nothing here reads the app or the request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from roomlog.calendar import today_local
from roomlog.reporting.publication import publish_due
from roomlog.reporting.publication.memo import DecisionMemo
from roomlog.reporting.publication.service import ScopeLift
from roomlog.services import audit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Publishing:
    """The suppression threshold, the days after month end a month locks, the lift to every room's scope, and
    the app's memo of protection decisions (``None``: every year is protected afresh)."""

    threshold: int
    lock_after_days: int
    national_scope: ScopeLift
    memo: DecisionMemo | None = None


def publish(session: Session, today: dt.date | None = None, *, publishing: Publishing) -> list[str]:
    """Publish every closed month, quarter and year that is due, for the whole country."""
    published = publish_due(
        session,
        today or today_local(),
        threshold=publishing.threshold,
        lock_after_days=publishing.lock_after_days,
        national_scope=publishing.national_scope,
        memo=publishing.memo,
    )
    out = published.periods
    if out:
        changes = {"periods": out[:60], "count": len(out), "snapshots": published.snapshots}
        audit.record(session, "publication.publish", changes=changes)
    return out


_settings: Callable[[], Publishing] | None = None


def provide_settings(provider: Callable[[], Publishing]) -> None:
    """Let the app factory say where the publishing settings come from (read from the app when asked)."""
    global _settings
    _settings = provider


def app_settings() -> Publishing:
    """The publishing settings of the app (through the provider ``create_app`` registered)."""
    if _settings is None:
        raise RuntimeError("no publishing settings: pass publishing= or create the app first")
    return _settings()


def publish_quietly(
    session: Session, today: dt.date | None = None, *, publishing: Publishing | None = None
) -> list[str]:
    """Publish what is due, but never let a failure undo the caller's change (``roomlog publish`` retries)."""
    try:
        with session.begin_nested():
            return publish(session, today, publishing=publishing or app_settings())
    except Exception:
        log.exception("publication: publishing after a change failed; run `roomlog publish`")
        return []
