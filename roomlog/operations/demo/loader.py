"""Load the demo: rooms, a user per role, the pool's pieces, monthly history and synthetic activity.

Loading is idempotent and never touches a database that holds anything but demo data. No Flask
and no console here: the ``roomlog demo`` command passes the configuration and draws the progress.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.calendar import COPENHAGEN, add_months, month_start
from roomlog.db_guards import allow_history_load
from roomlog.models import Visit
from roomlog.operations.demo import history, pool
from roomlog.operations.demo.events import ActivityGenerator
from roomlog.operations.demo.facts import ROOMS
from roomlog.operations.demo.rooms import approve_past_months, ensure_rooms, ensure_users, foreign_data
from roomlog.services.municipalities import ensure_municipalities
from roomlog.services.passwords import Params

#: Called with (days done, days in all) as the activity is drawn.
Progress = Callable[[int, int], None]


@dataclass
class DemoResult:
    """What the demo loaded: the logins to print, or why it loaded nothing."""

    logins: list[tuple[str, str, str]] = field(default_factory=list)
    skipped_reason: str = ""
    rows: int = 0
    #: Lines of monthly and yearly history imported (2021 up to the activity).
    history: int = 0


def _no_progress(done: int, total: int) -> None:
    """Draw nothing."""


def load(
    session: Session,
    *,
    pseudonym_key: str,
    pool_total_kr: int,
    months: int = 3,
    seed: int = 2022,
    today: dt.date | None = None,
    progress: Progress = _no_progress,
    hashing: Params = None,
) -> DemoResult:
    """Load the demo set into an empty (or demo-only) database; flushes, never commits."""
    result = DemoResult()
    ensure_municipalities(session)
    if foreign_data(session):
        result.skipped_reason = "The database holds data that is not demo data: demo not loaded."
        return result
    rooms = ensure_rooms(session)
    result.logins = ensure_users(session, rooms, hashing)
    today = today or dt.datetime.now(COPENHAGEN).date()
    pool.load(session, today, pool_total_kr)
    start = add_months(month_start(today), -(months - 1)) if months else today + dt.timedelta(days=1)
    result.history = history.load(session, ROOMS, rooms, start, today, seed)
    specs = [
        s
        for s in ROOMS
        if not session.scalar(select(func.count()).select_from(Visit).where(Visit.room_id == rooms[s.name].id))
    ]
    days = (today - start).days + 1 if months else 0
    if not specs or days <= 0:
        return result
    # Synthetic data only: a seeded, reproducible generator is what we want here.
    rng = random.Random(seed)  # noqa: S311 (synthetic demo data, not security)  # nosec B311
    allow_history_load(session)  # synthetic history lands in months that are already locked
    generator = ActivityGenerator(session, rng, pseudonym_key)
    total, done = days * len(specs), 0

    def day_done() -> None:
        nonlocal done
        done += 1
        progress(done, total)

    progress(0, total)
    for spec in specs:
        generator.room(rooms[spec.name], spec, start, today, day_done)
    result.rows = generator.flush_all()
    approve_past_months(session, [rooms[s.name] for s in specs], start, today)
    return result
