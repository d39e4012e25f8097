"""The bare SQL beside each request: GROUP BY counts of the same rooms and months, outside the app."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Sequence

from sqlalchemy import Engine, bindparam, text

#: One query per family of figures a page shows, grouped by room and month of the service day.
QUERIES = {
    "visits": "SELECT room_id, {month}, outcome, COUNT(*) FROM visits {where} GROUP BY 1, 2, 3",
    "visitors": "SELECT room_id, {month}, COUNT(DISTINCT visitor_id) FROM visits {where} GROUP BY 1, 2",
    "consumptions": "SELECT room_id, {month}, route, COUNT(*) FROM consumptions {where} GROUP BY 1, 2, 3",
    "substances": (
        "SELECT room_id, {month}, s.substance, COUNT(*) FROM consumptions"
        " JOIN consumption_substances s ON s.consumption_id = consumptions.id {where} GROUP BY 1, 2, 3"
    ),
    "emergencies": "SELECT room_id, {month}, type, COUNT(*) FROM emergencies {where} GROUP BY 1, 2, 3",
    "referrals": "SELECT room_id, {month}, target, COUNT(*) FROM referrals {where} GROUP BY 1, 2, 3",
    "services": "SELECT room_id, {month}, service, SUM(quantity) FROM services {where} GROUP BY 1, 2, 3",
}
WHERE = "WHERE room_id IN :rooms AND service_day BETWEEN :first AND :last AND voided = {false}"


def statements(dialect: str) -> list[str]:
    """The bare queries in a dialect (month of ``service_day`` as text, booleans as the dialect has them)."""
    month = "to_char(service_day, 'YYYY-MM')" if dialect == "postgresql" else "strftime('%Y-%m', service_day)"
    where = WHERE.format(false="false" if dialect == "postgresql" else "0")
    return [q.format(month=month, where=where) for q in QUERIES.values()]


def run_once(engine: Engine, rooms: Sequence[int], first: dt.date, last: dt.date) -> float:
    """Run every bare query once and return the seconds taken."""
    params = {"rooms": list(rooms), "first": first, "last": last}
    started = time.perf_counter()
    with engine.connect() as connection:
        for sql in statements(engine.dialect.name):
            statement = text(sql).bindparams(bindparam("rooms", expanding=True))
            connection.execute(statement, params).all()
    return time.perf_counter() - started


def bare_seconds(
    engine: Engine, rooms: Sequence[int], first: dt.date, last: dt.date, runs: int = 3, slow: float = 5.0
) -> float:
    """The median time of the bare queries over the rooms and service days (one run when it takes over ``slow``)."""
    times = [run_once(engine, rooms, first, last)]
    while len(times) < runs and times[0] < slow:
        times.append(run_once(engine, rooms, first, last))
    return statistics.median(times)
