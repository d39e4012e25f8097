"""Building the rows of every planned room-month, in this process or in a builder process beside it.

Building is pure Python (a seeded generator per room-month, ids handed out in plan order) and needs
no database: the plan carries the next id of each table and the visitors each room already has.
With ``in_process=False`` a second process builds (and, for SQLite, converts) the months while this
one inserts and approves the previous ones; both orders of work give the same rows, because the
months are built one after another in the plan's order either way.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
import random
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from roomlog.calendar import COPENHAGEN, add_months
from roomlog.models import Visitor
from roomlog.operations import scale_rows as rows
from roomlog.operations.scale_mix import PICK
from roomlog.operations.synthetic import IdAllocator
from roomlog.services.pseudonyms import check_word, pseudonym

OPENING_COHORT = 3  # × visits a day: the visitors a room knows in its first month (700 at H17's traffic)
MONTHLY_COHORT = 0.2  # × visits a day: new visitors a month afterwards (44 at H17's traffic)
ACTIVE_MONTHS = 48  # visitors of older cohorts no longer come
#: Months built ahead of the inserts (each is about 20,000 rows at H17's traffic).
AHEAD = 3


@dataclass(frozen=True)
class Plan:
    """Everything building needs, and nothing of the database (it crosses to the builder process)."""

    key: str
    seed: int
    profile: rows.RoomProfile
    now: dt.datetime
    user_id: int
    #: (month, room id, room name) in the order to build.
    todo: tuple[tuple[dt.date, int, str], ...]
    #: The next id of each table (by table name).
    next_ids: dict[str, int]
    #: The visitor ids each room already has, by the month they first came.
    cohorts: dict[int, dict[dt.date, list[int]]]
    #: ``sqlite``: rows come converted to SQLite's storage format; otherwise as Python values (COPY).
    dialect: str


@dataclass
class BuiltMonth:
    """The rows of one room-month, ready to insert, and what the generator counted in them."""

    room_id: int
    month: dt.date
    visitors: list[tuple[Any, ...]]
    rows: dict[str, list[tuple[Any, ...]]]
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def size(self) -> int:
        return len(self.visitors) + sum(len(v) for v in self.rows.values())


class Cohorts:
    """The visitors of one room by the month they first came."""

    def __init__(self, room_id: int, by_month: dict[dt.date, list[int]]) -> None:
        self.room_id = room_id
        self.by_month = {m: list(ids) for m, ids in by_month.items()}

    def add(
        self, month: dt.date, key: str, ids: IdAllocator, rng: random.Random, per_day: int
    ) -> list[tuple[Any, ...]]:
        """Create the month's cohort (larger when it is the room's first); return the visitor rows."""
        later = any(m < month for m in self.by_month)
        size = max(1, round(per_day * (MONTHLY_COHORT if later else OPENING_COHORT)))
        registered = dt.datetime.combine(month, dt.time(12), tzinfo=COPENHAGEN).astimezone(dt.UTC)
        out: list[tuple[Any, ...]] = []
        for n in range(size):
            digest = pseudonym(key, f"BENCH{self.room_id:03d}{month:%Y%m}{n:04d}")
            visitor_id = ids(Visitor)
            sex, nationality = PICK["sex"](rng), PICK["nationality"](rng)
            out.append(
                (
                    visitor_id,
                    digest,
                    check_word(digest),
                    rng.randint(month.year - 66, month.year - 19),
                    sex,
                    nationality,
                    registered,
                    self.room_id,
                )
            )
            self.by_month.setdefault(month, []).append(visitor_id)
        return out

    def pool(self, month: dt.date) -> list[int]:
        """Return visitors of the cohorts that still come in ``month`` (never a later cohort)."""
        oldest = add_months(month, -ACTIVE_MONTHS)
        return [v for m, ids in sorted(self.by_month.items()) if oldest <= m <= month for v in ids]


def build_months(plan: Plan) -> Iterator[BuiltMonth]:
    """Build the plan's room-months one after another (ids follow the plan's order)."""
    by_name = {t.__tablename__: t for t in rows.TABLES}
    ids = IdAllocator({by_name[name]: start for name, start in plan.next_ids.items()})
    cohorts = {room_id: Cohorts(room_id, found) for room_id, found in plan.cohorts.items()}
    profile = plan.profile
    for month, room_id, room_name in plan.todo:
        rng = random.Random(f"{plan.seed}:{room_name}:{month:%Y-%m}")  # noqa: S311 (synthetic data)  # nosec B311
        new = cohorts[room_id].add(month, plan.key, ids, rng, profile.visits_per_day)
        pool = cohorts[room_id].pool(month)
        regulars = pool[: max(len(pool) // 4, 1)]
        built = rows.MonthBuilder(rng, ids, room_id, plan.user_id, profile).build(
            month, plan.now, pool, regulars, [r[0] for r in new]
        )
        built.counts["visitors.unique"] = len(built.visitors_seen)
        built.counts["visitors.new"] = len({r[0] for r in new} & built.visitors_seen)
        if plan.dialect == "sqlite":
            new = rows.sqlite_rows(Visitor, new)
            tables = {t.__tablename__: rows.sqlite_rows(t, built.rows[t]) for t in rows.TABLES[1:]}
        else:
            tables = {t.__tablename__: built.rows[t] for t in rows.TABLES[1:]}
        yield BuiltMonth(room_id, month, new, tables, built.counts)


def months(plan: Plan, *, in_process: bool = True) -> Iterator[BuiltMonth]:
    """The plan's built room-months in order: built here, or by a builder process ``AHEAD`` months ahead."""
    if in_process or not plan.todo:
        yield from build_months(plan)
        return
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of this process's app or database
    out: multiprocessing.Queue[Any] = context.Queue(maxsize=AHEAD)
    builder = context.Process(target=_build_into, args=(plan, out), name="bench-data builder", daemon=True)
    builder.start()
    try:
        for _ in plan.todo:
            item = _next(out, builder)
            if isinstance(item, str):
                raise RuntimeError(f"the builder process failed:\n{item}")
            yield item
    finally:
        if builder.is_alive():
            builder.terminate()
        builder.join(timeout=30)
        out.close()


def _next(out: multiprocessing.Queue[Any], builder: Any) -> Any:
    while True:
        try:
            return out.get(timeout=5)
        except queue.Empty:
            if not builder.is_alive():
                raise RuntimeError(f"the builder process ended early (exit code {builder.exitcode})") from None


def _build_into(plan: Plan, out: multiprocessing.Queue[Any]) -> None:
    """The builder process: put each built month on the queue, or the traceback of what failed."""
    try:
        for built in build_months(plan):
            out.put(built)
    except Exception:  # reported to the inserting process, which raises it
        out.put(traceback.format_exc())
