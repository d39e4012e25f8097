"""SQLite writer processes for test_faults, forked from a process that has imported roomlog once.

Each writer is a process of its own (``multiprocessing``'s forkserver: a fresh interpreter started once,
which imports this module and so roomlog, then forks one child per writer). The child creates its app,
takes the write lock and appends audit entries one by one; after each commit it writes the entry's id to
its acknowledgement file (an unbuffered ``os.write``: once it returns, the id is the kernel's and survives
the writer's SIGKILL, as the line on a pipe did). The ten writers of the killed-writers test no longer each
import roomlog and its dependencies anew (most of their start-up).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.context import ForkServerContext
from pathlib import Path

from roomlog import PROJECT_ROOT, create_app  # the forkserver imports this module: every writer forks with it
from roomlog.database import immediate
from roomlog.extensions import db
from roomlog.services import audit


def write_forever(url: str, reason: str, acknowledged: str, environ: dict[str, str]) -> None:
    """Append audit entries ``reason-1``, ``reason-2``, … until killed; one acknowledged id per line."""
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(PROJECT_ROOT)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "PSEUDONYM_KEY": "y"})
    out = os.open(acknowledged, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with app.app_context(), immediate():
        n = 0
        while True:
            n += 1
            entry = audit.record(db.session, "test.write", reason=f"{reason}-{n}")
            db.session.commit()
            os.write(out, f"{entry.id}\n".encode())


@contextmanager
def forkserver() -> Iterator[ForkServerContext]:
    """A forkserver context whose server has imported this module; stopped again at the end."""
    from multiprocessing import forkserver as server

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    try:
        yield context
    finally:
        # CPython's own (3.11–3.13; no public way to stop it): the next user starts a fresh one. Without it the
        # idle server would only end with this process.
        stop = getattr(server._forkserver, "_stop", None)
        if stop is not None:
            stop()


def acknowledged_ids(path: Path) -> set[int]:
    """The ids a writer acknowledged (every complete line of its file)."""
    if not path.exists():
        return set()
    return {int(line) for line in path.read_text().split("\n")[:-1] if line}
