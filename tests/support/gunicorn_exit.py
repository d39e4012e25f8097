"""The tests' gunicorn settings (``--config python:tests.support.gunicorn_exit``; standard library only).

A worker that stops cleanly (told to by its master, its status 0) ends with ``os._exit(0)`` once gunicorn has
shut it down (its "Worker exiting" line logged, its heartbeat file closed), and so does the master once it
has stopped them all after a ``SIGTERM`` (its "Shutting down" line logged), instead of tearing down an
interpreter that holds roomlog, SQLAlchemy and WeasyPrint: 0.5–1.2 CPU-s a process on this machine, and the
master waited for its workers' (up to ``--graceful-timeout``, which four stopping workers on a loaded machine
reached). Nothing the tests read is lost: the app's and gunicorn's log handlers write every record as it
comes, the servers run with ``PYTHONUNBUFFERED``, a committed row is the database's, and roomlog registers
no exit handler. A worker that fails to boot, times out or dies of an error, and a master that halts for a
reason (a worker that cannot boot), exit as before, with gunicorn's status.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def worker_exit(server: Any, worker: Any) -> None:
    """gunicorn's hook, called in the worker as it exits (and in the master after reaping one: ignored there)."""
    leaving = sys.exc_info()[1]  # the SystemExit the worker is ending with (its ``finally`` runs this hook)
    if os.getpid() == worker.pid and isinstance(leaving, SystemExit) and leaving.code in (0, None):
        os._exit(0)


def on_exit(server: Any) -> None:
    """gunicorn's hook, called in the master just before it exits."""
    # The master halts with status 0 from ``except (StopIteration, KeyboardInterrupt)`` (a SIGTERM or SIGINT); with
    # a reason and a status of its own from ``except HaltServer``.
    if isinstance(sys.exc_info()[1], StopIteration | KeyboardInterrupt):
        os._exit(0)
