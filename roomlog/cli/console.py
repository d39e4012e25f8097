"""What every command shares on the console: failing with a message, a progress bar, translated domain errors,
a room named on the command line."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TextIO

import click
from sqlalchemy import func, select

from roomlog.extensions import db
from roomlog.i18n import message
from roomlog.models import Room

#: Called with (done, total) as work proceeds.
Progress = Callable[[int, int], None]


def fail(text: str) -> NoReturn:
    """Roll back, print ``Error: text`` on stderr and exit 1."""
    db.session.rollback()
    click.echo(f"Error: {text}", err=True)
    sys.exit(1)


def fail_with(exc: Exception) -> NoReturn:
    """Fail with a domain error's message, translated (roomlog.i18n.message)."""
    fail(message(exc))


def room_named(name: str) -> Room:
    """Return the room of this name in any case, or fail."""
    room = db.session.scalar(select(Room).where(func.lower(Room.name) == name.lower()))
    if room is None:
        fail(f"no room named {name!r}")
    return room


@contextmanager
def progress_bar(label: str, file: TextIO | None = sys.stderr) -> Iterator[Progress]:
    """Yield a progress callback drawing a click progress bar (on ``file``; None: standard output).

    The bar ends when the work is done, so that what the command prints afterwards starts on a line of its own.
    """
    bar = None
    shown = 0
    finished = False

    def advance(done: int, total: int) -> None:
        nonlocal bar, shown, finished
        if finished:
            return
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label=label, file=file)
            bar.__enter__()
        bar.update(max(done - shown, 0))
        shown = max(done, shown)
        if done >= total:
            bar.__exit__(None, None, None)
            finished = True

    try:
        yield advance
    finally:
        if bar is not None and not finished:
            bar.__exit__(None, None, None)


def progress_lines(label: str, unit: str, every: float = 0.05, file: TextIO = sys.stderr) -> Progress:
    """Return a progress callback printing a line at every ``every`` of the work (for logs, not terminals):
    done of total, minutes so far and a guess of the minutes left at the rate so far."""
    started = time.monotonic()
    shown = -1.0

    def advance(done: int, total: int) -> None:
        nonlocal shown
        part = done / max(total, 1)
        if part - shown < every and done < total:
            return
        shown = part
        spent = time.monotonic() - started
        left = spent / done * (total - done) if done else 0.0
        click.echo(
            f"{label}: {done}/{total} {unit} ({part:.0%}), {spent / 60:.1f} min, about {left / 60:.0f} min left",
            file=file,
        )

    return advance
