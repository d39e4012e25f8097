"""Publish what became due after a change (approval, acceptance, history import).

What publishing needs from the app comes in as a :class:`Publishing` (built from its configuration,
with the auth layer's scope lift and its write lock): passed by the caller, or read through the
provider the app factory registers (``provide_settings``) for the use cases that publish after a change.
Nothing here reads the app or the request.

Two ways to publish:

* :func:`publish` flushes, never commits: one transaction that protects and stores (the demo build,
  and a change whose app publishes synchronously, ``PUBLISH_IN_BACKGROUND = False``).
* :func:`publish_in_steps` commits its own short transactions and never holds the write lock while it
  protects (``roomlog publish`` and the app's background run after a change commits,
  ``roomlog.publication_runs``).

:func:`publish_quietly` is what a use case calls after its change: when the app registered a runner
(``provide_runner``) it only marks the session, and the runner is started once that transaction
commits (nothing is published for a change that is rolled back); otherwise it publishes in the change's
own transaction, never letting a failure undo the change.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session

from roomlog.calendar import today_local
from roomlog.reporting.publication import publish_due
from roomlog.reporting.publication.memo import DecisionMemo
from roomlog.reporting.publication.service import ScopeLift, plan_due, store_plan, write_due_snapshots
from roomlog.services import audit

log = logging.getLogger(__name__)

#: Enters a transaction that may write and excludes every other publisher until it ends (SQLite: ``BEGIN
#: IMMEDIATE``; PostgreSQL: a transaction-level advisory lock).
WriteLock = Callable[[Session], AbstractContextManager[None]]
#: Called by :func:`publish_in_steps` with the name of the step it reached (tests hold a run there).
StepHook = Callable[[str], None]
#: How many times :func:`publish_in_steps` protects again when what is due changed while it protected.
ATTEMPTS = 3


def _no_lock(_session: Session) -> AbstractContextManager[None]:
    return nullcontext()


@dataclass(frozen=True)
class Publishing:
    """The suppression threshold, the days after month end a month locks, the lift to every room's scope, the
    app's memo of protection decisions (``None``: every year is protected afresh) and its write lock."""

    threshold: int
    lock_after_days: int
    national_scope: ScopeLift
    memo: DecisionMemo | None = None
    write_lock: WriteLock = field(default=_no_lock)


def publish(session: Session, today: dt.date | None = None, *, publishing: Publishing) -> list[str]:
    """Publish every closed month, quarter and year that is due, for the whole country (one transaction)."""
    published = publish_due(
        session,
        today or today_local(),
        threshold=publishing.threshold,
        lock_after_days=publishing.lock_after_days,
        national_scope=publishing.national_scope,
        memo=publishing.memo,
    )
    _audit(session, published.periods, published.snapshots)
    return published.periods


def _audit(session: Session, periods: list[str], snapshots: int) -> None:
    if periods:
        changes = {"periods": periods[:60], "count": len(periods), "snapshots": snapshots}
        audit.record(session, "publication.publish", changes=changes)


def publish_in_steps(
    session: Session,
    today: dt.date | None = None,
    *,
    publishing: Publishing,
    hook: StepHook | None = None,
) -> list[str]:
    """Publish what is due in short transactions of its own (commits them): the write lock is never held while
    protecting.

    1. Read and protect, writing nothing (the lock is free: captures go on).
    2. Only when a locked, unapproved room-month still needs its snapshot (rarely): store the snapshots in a
       short write transaction and go back to step 1.
    3. Store in one short write transaction that first checks that what was protected is still what is due
       (closed months, their sources, every stored version); if it is not, nothing is stored and the steps run
       again (at most ``ATTEMPTS`` times; then the next run publishes it). The write lock excludes other
       publishers, so two runs at once never store the same period twice.
    """
    day = today or today_local()
    scope, lock_days = publishing.national_scope, publishing.lock_after_days
    snapshots = 0
    for _attempt in range(ATTEMPTS):
        plan = plan_due(
            session,
            day,
            threshold=publishing.threshold,
            lock_after_days=lock_days,
            national_scope=scope,
            memo=publishing.memo,
            write_snapshots=False,
        )
        if hook:
            hook("protected")
        session.rollback()  # ends the read transaction (nothing was written)
        if plan is None:  # a locked month without its snapshot: store it, then plan again
            with publishing.write_lock(session):
                snapshots += write_due_snapshots(session, day, lock_after_days=lock_days, national_scope=scope)
                session.commit()
            continue
        if not plan.writes:
            return []
        with publishing.write_lock(session):
            stored = store_plan(session, plan, day, lock_after_days=lock_days, national_scope=scope)
            if stored is None:
                session.rollback()
                log.info("publication: what is due changed while protecting; protecting again")
                continue
            _audit(session, stored, snapshots)
            session.commit()
        return stored
    log.warning("publication: what is due kept changing; left to the next run (`roomlog publish`)")
    return []


def publish_after_change(
    session: Session, today: dt.date | None = None, *, publishing: Publishing, hook: StepHook | None = None
) -> list[str]:
    """:func:`publish_in_steps` after a committed change: a failure is logged (``roomlog publish`` retries it)."""
    try:
        return publish_in_steps(session, today, publishing=publishing, hook=hook)
    except Exception:
        session.rollback()
        log.exception("publication: publishing after a change failed; run `roomlog publish`")
        return []


_settings: Callable[[], Publishing] | None = None
#: Given the day to publish for, returns the function that publishes after the change commits (``None``: now).
_runner: Callable[[], Callable[[dt.date | None], None] | None] | None = None
_DUE = "roomlog_publication_due"


def provide_settings(provider: Callable[[], Publishing]) -> None:
    """Let the app factory say where the publishing settings come from (read from the app when asked)."""
    global _settings
    _settings = provider


def provide_runner(provider: Callable[[], Callable[[dt.date | None], None] | None]) -> None:
    """Let the app factory say what publishes after a change commits (``provider()``: ``None`` to publish at once)."""
    global _runner
    _runner = provider


def app_settings() -> Publishing:
    """The publishing settings of the app (through the provider ``create_app`` registered)."""
    if _settings is None:
        raise RuntimeError("no publishing settings: pass publishing= or create the app first")
    return _settings()


def publish_quietly(
    session: Session, today: dt.date | None = None, *, publishing: Publishing | None = None
) -> list[str]:
    """Publish what is due after the caller's change, never letting a failure undo it (``roomlog publish`` retries).

    With a runner (the app's background publication), only marks the session: the runner starts when the
    change commits, and ``[]`` is returned.
    """
    runner = _runner() if _runner is not None and publishing is None else None
    if runner is not None:
        session.info[_DUE] = (runner, today)
        return []
    try:
        with session.begin_nested():
            return publish(session, today, publishing=publishing or app_settings())
    except Exception:
        log.exception("publication: publishing after a change failed; run `roomlog publish`")
        return []


@event.listens_for(Session, "after_commit")
def _start_after_commit(session: Session) -> None:
    due = session.info.pop(_DUE, None)
    if due is not None:
        runner, today = due
        try:
            runner(today)
        except Exception:  # the change is committed whatever happens here
            log.exception("publication: could not start publishing after a change; run `roomlog publish`")


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_DUE, None)
