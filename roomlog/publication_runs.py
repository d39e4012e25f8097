"""Publish in the background of the worker process after a change commits (approval, acceptance).

A change that makes periods due (a closed month, its quarter, its year) only marks its session
(``services.publication.publish_quietly``); when that transaction commits, :meth:`Runs.request` starts a
daemon thread that publishes with its own app context and session (``publish_in_steps``: the write
lock is never held while protecting). One run at a time per process: requests that arrive while a
run is going are coalesced into one more run. A failure is logged and left to ``roomlog publish``
(the daily timer), which also publishes whatever a restarted worker did not.

Off (``PUBLISH_IN_BACKGROUND = False``, the tests' default) the change publishes in its own
transaction, as before.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from flask import Flask, current_app, has_request_context

log = logging.getLogger(__name__)

_KEY = "roomlog_publication_runs"


class Runs:
    """The background publication runs of one app in this process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Condition()
        self._pending = False
        self._today: dt.date | None = None
        self._thread: threading.Thread | None = None
        #: Called in the thread with each step's name (``publish_in_steps``); tests hold a run there.
        self.hook: Callable[[str], None] | None = None
        #: Runs finished (or failed) since the app started.
        self.finished = 0

    def request(self, today: dt.date | None = None) -> None:
        """Publish what is due soon, in this process's background thread (started if none is running)."""
        with self._lock:
            self._pending = True
            self._today = today
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="roomlog-publication", daemon=True)
                self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no run is going or pending (``False``: still busy after ``timeout`` seconds)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._thread is None, timeout)

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._thread = None
                    self._lock.notify_all()
                    return
                self._pending, today = False, self._today
            self._run(today)
            with self._lock:
                self.finished += 1

    def _run(self, today: dt.date | None) -> None:
        from roomlog.extensions import db, publishing
        from roomlog.services.publication import publish_after_change

        with self.app.app_context():
            try:
                published = publish_after_change(db.session, today, publishing=publishing(), hook=self.hook)
                if published:
                    log.info("publication: published %d periods after a change", len(published))
            except Exception:  # (the settings themselves, or the session's end)
                log.exception("publication: publishing after a change failed; run `roomlog publish`")
            finally:
                db.session.remove()


def runs(app: Flask | None = None) -> Runs:
    """The app's background publication runs (one per app and process)."""
    target = app or current_app._get_current_object()  # type: ignore[attr-defined]  # the real app, for the thread
    found: Runs = target.extensions.setdefault(_KEY, Runs(target))
    return found


def runner() -> Callable[[dt.date | None], None] | None:
    """What publishes after a change commits: the app's background runs, or ``None`` (at once, in the change)."""
    if not current_app.config.get("PUBLISH_IN_BACKGROUND") or not has_request_context():
        return None  # a CLI command publishes itself after its commit (it would end before a thread did)
    return runs().request


def init_app(app: Flask) -> None:
    """Make the use cases publish after their change commits, through this app's runs when it is configured so."""
    from roomlog.services import publication

    publication.provide_runner(runner)
    runs(app)
