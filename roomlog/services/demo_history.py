"""Demo history: monthly totals for the demo rooms from 2021 up to their generated activity.

The 2021 and 2022 national totals are the proposal's (167,932 and 256,936 consumptions,
1,000 and 1,048 acute treatments: 2,048 since 2021), split over the rooms in proportion to
their traffic; from 2023 each room moves month by month towards the level of its generated
activity. Every other indicator follows from the consumptions and acute treatments with the
shares the activity generator uses, so parts never exceed their wholes. The lines pass the
``import-history`` checks (``history.parse``) and are stored as that import stores them, in bulk.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from roomlog.models import MonthlyHistory, Room, Visit, YearlyHistory
from roomlog.models.base import utcnow
from roomlog.models.codes import REFERRAL_KINDS, ReferralKind, ReferralTarget
from roomlog.services import audit, history
from roomlog.services.service_days import add_months, format_month, month_start

if TYPE_CHECKING:
    from roomlog.services.demo import DemoRoom

#: The proposal's national figures: year → (consumptions, acute treatments).
#: History carries what paper records and the annual reports hold (visits, consumptions and routes,
#: acute treatments and their actions, referrals by kind, opening days, visitors): the finer
#: breakdowns would be mostly small cells, and protecting six years of them makes `roomlog demo`
#: (the first command of the quick start) take many minutes.
HEADLINE_ONLY = True
SEED_YEARS = {2021: (167_932, 1_000), 2022: (256_936, 1_048)}
#: Acute treatments per consumption in the generated activity (opioid and mixed emergencies).
ACTIVITY_ACUTE_RATE = 0.001
#: Consumptions per admitted visit, and admitted visits per generated visit (the generator's odds).
PER_VISIT, ADMITTED = 1.12, 0.98
WEEK_FACTOR = (5 + 2 * 0.9) / 7  # weekends have 10 % fewer visits

TURN_AWAY = (
    ("intoxicated", 40),
    ("capacity", 25),
    ("ban", 15),
    ("not_target_group", 10),
    ("under_18", 3),
    ("other", 7),
)
INJECT = (("heroin", 40), ("cocaine", 25), ("speedball", 12), ("methadone", 6), ("amphetamine", 5),
          ("buprenorphine", 4), ("fentanyl", 2), ("benzodiazepine", 3), ("other", 2), ("u", 1))  # fmt: skip
SMOKE = (("crack", 45), ("heroin", 25), ("cocaine", 15), ("methamphetamine", 5), ("amphetamine", 5), ("other", 4),
         ("u", 1))  # fmt: skip
SERVICES = (("conversation", 40), ("harm_reduction_advice", 25), ("food_shower", 15), ("wound_care", 8),
            ("naloxone_kit", 5), ("testing", 5), ("other", 2))  # fmt: skip
SEXES = (("m", 78), ("f", 20), ("x", 1), ("u", 1))
AGES = (("18_29", 17), ("30_39", 21), ("40_49", 21), ("50_plus", 41), ("u", 0))

#: (room name, first day of month) → indicator → value.
Plan = dict[tuple[str, dt.date], dict[str, int]]


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder): the parts add up to ``total``."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, month = [], first
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def _days(month: dt.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def _consumptions(
    rooms: Sequence[DemoRoom], activity_start: dt.date, rng: random.Random
) -> dict[tuple[str, dt.date], tuple[int, int]]:
    """(room, month) → (consumptions, acute treatments) from 2021 to the month before ``activity_start``."""
    start = month_start(activity_start)
    out: dict[tuple[str, dt.date], tuple[int, int]] = {}
    for year, (total, acute) in SEED_YEARS.items():
        keys = [(r, m) for m in _months(dt.date(year, 1, 1), dt.date(year, 12, 1)) for r in rooms
                if month_start(r.opened) <= m]  # fmt: skip
        weights = [r.visits_per_day * _days(m) * rng.uniform(0.94, 1.06) for r, m in keys]
        for (r, m), c, a in zip(keys, apportion(total, weights), apportion(acute, weights), strict=True):
            out[(r.name, m)] = (c, a)
    later = _months(dt.date(2023, 1, 1), add_months(start, -1))
    for r in rooms:
        base = sum(out.get((r.name, m), (0, 0))[0] for m in _months(dt.date(2022, 1, 1), dt.date(2022, 12, 1))) / 365
        goal = r.visits_per_day * WEEK_FACTOR * ADMITTED * PER_VISIT
        rate22 = SEED_YEARS[2022][1] / SEED_YEARS[2022][0]
        for n, month in enumerate(later, start=1):
            share = n / (len(later) + 1)
            c = round((base + (goal - base) * share) * _days(month) * rng.uniform(0.95, 1.05))
            out[(r.name, month)] = (c, round(c * (rate22 + (ACTIVITY_ACUTE_RATE - rate22) * share)))
    return out


def _emergencies(acute: int, rng: random.Random) -> dict[str, int]:
    """The emergency figures of a month with ``acute`` acute treatments (65 % of its emergencies).

    No ``emergencies.type.*``: the records the history stands for seldom give the type, and an
    exact split of a few emergencies a month makes disclosure control hide the national totals.
    """
    total = round(acute / 0.65) if acute else rng.choice((0, 0, 1))
    return {
        "emergencies.total": total,
        "emergencies.acute_treatments": acute,
        "emergencies.naloxone": acute,
        "emergencies.naloxone_doses": round(acute * 1.8),
        "emergencies.oxygen": acute,
        "emergencies.oxygen_administrations": acute,
        "emergencies.ventilation": round(acute * 0.25),
        "emergencies.cpr": 0,
        "emergencies.ambulance_called": round(total * 0.28),
        "emergencies.hospital_transfers": round(total * 0.2),
        "emergencies.deaths": 0,
    }


def _family(prefix: str, total: int, weights: Sequence[tuple[str, float]]) -> dict[str, int]:
    return {
        f"{prefix}.{code}": v for (code, _), v in zip(weights, apportion(total, [w for _, w in weights]), strict=True)
    }


def month_values(spec: DemoRoom, month: dt.date, consumptions: int, acute: int, rng: random.Random) -> dict[str, int]:
    """Every indicator of one room-month from its consumptions and acute treatments."""
    s = spec.smoke_share
    routes = _family("consumptions.route", consumptions,
                     (("inject", (1 - s) * 0.92), ("smoke", s), ("sniff", (1 - s) * 0.05), ("oral", (1 - s) * 0.02),
                      ("other", (1 - s) * 0.01)))  # fmt: skip
    smoke = routes["consumptions.route.smoke"]
    inject_total, smoke_total = sum(w for _, w in INJECT), sum(w for _, w in SMOKE)
    substances = {}
    for code in ("heroin", "cocaine", "crack", "speedball", "amphetamine", "methamphetamine", "methadone",
                 "buprenorphine", "benzodiazepine", "fentanyl", "other_opioid", "other", "u"):  # fmt: skip
        w_inject, w_smoke = dict(INJECT).get(code, 0) / inject_total, dict(SMOKE).get(code, 0) / smoke_total
        share = ((consumptions - smoke) * w_inject + smoke * w_smoke + 0.1 * consumptions * w_inject) / max(
            consumptions, 1
        )
        substances[f"consumptions.substance.{code}"] = min(consumptions, round(consumptions * share))
    visits = round(consumptions / PER_VISIT)
    turned_away = round(visits * (1 - ADMITTED) / ADMITTED)
    referrals = round(visits * 0.04)
    targets = _family("referrals.target", referrals, [(t.value, w) for t, w in _referral_weights()])
    kinds = {f"referrals.kind.{k.value}": 0 for k in ReferralKind}
    for target, kind in REFERRAL_KINDS.items():
        kinds[f"referrals.kind.{kind.value}"] += targets[f"referrals.target.{target.value}"]
    unique = min(visits, round(visits / 10))
    inject = routes["consumptions.route.inject"]
    values = {
        "visits.total": visits,
        "visits.turned_away": turned_away,
        "opening.days": _days(month),
        "consumptions.total": consumptions,
        **routes,
        "visitors.unique": unique,
        "visitors.new": round(unique * 0.05),
        "visits.anonymous": round(visits * 0.04),
        "consumptions.assisted": round(inject * 0.01) if spec.name in {"Skyen", "H17"} else 0,
        **_emergencies(acute, rng),
        "referrals.total": referrals,
        **kinds,
    }
    if not HEADLINE_ONLY:
        values |= {
            **_family("visits.turned_away.reason", turned_away, TURN_AWAY),
            **substances,
            **_family("visitors.sex", unique, SEXES),
            **_family("visitors.age", unique, AGES),
            **targets,
            "services.injecting_equipment": round(inject * 0.5 * 3),
            "services.smoking_equipment": round(smoke * 0.4 * 2),
            **_family("services", round(visits * 0.12), SERVICES),
        }
    return values


def _referral_weights() -> tuple[tuple[ReferralTarget, int], ...]:
    from roomlog.services.demo import REFERRAL_WEIGHTS

    return REFERRAL_WEIGHTS


def plan(rooms: Sequence[DemoRoom], activity_start: dt.date, seed: int) -> Plan:
    """Every room-month's values from 2021 (or the room's opening) to the month before ``activity_start``."""
    # Synthetic data only: a seeded, reproducible generator is what we want here.
    rng = random.Random(seed)  # noqa: S311 (synthetic demo data, not security)  # nosec B311
    by_name = {r.name: r for r in rooms}
    return {
        (name, month): month_values(by_name[name], month, c, a, rng)
        for (name, month), (c, a) in sorted(
            _consumptions(rooms, activity_start, rng).items(), key=lambda item: (item[0][1], item[0][0])
        )
    }


def csv_lines(monthly: Plan, current: dt.date) -> list[str]:
    """The plan as an ``import-history`` file, with each whole past year's unique visitors."""
    lines = [",".join(history.HEADER)]
    years: dict[tuple[str, int], list[dict[str, int]]] = {}
    for (name, month), values in monthly.items():
        lines += [f"{name},{format_month(month)},{code},{value}" for code, value in values.items()]
        years.setdefault((name, month.year), []).append(values)
    for (name, year), months in sorted(years.items()):
        if len(months) == 12 and year < current.year:
            unique = round(max(m["visitors.unique"] for m in months) * 1.5)
            new = min(unique, sum(m["visitors.new"] for m in months))
            lines += [f"{name},{year},visitors.unique,{unique}", f"{name},{year},visitors.new,{new}"]
    return lines


def _activity_starts(session: Session, rooms: Iterable[Room], default: dt.date) -> dict[str, dt.date]:
    """Each room's first month of events (``default`` for a room without events)."""
    out = {}
    for room in rooms:
        first = session.scalar(select(func.min(Visit.service_day)).where(Visit.room_id == room.id))
        out[room.name] = month_start(min(first, default) if first else default)
    return out


def load(
    session: Session,
    specs: Sequence[DemoRoom],
    rooms: dict[str, Room],
    activity_start: dt.date,
    today: dt.date,
    seed: int,
) -> int:
    """Import the demo history of every demo room that has none yet; returns the lines stored."""
    current = month_start(today)
    starts = _activity_starts(session, rooms.values(), min(month_start(activity_start), current))
    with_history = set(session.scalars(select(MonthlyHistory.room_id).distinct()))
    wanted = {s.name for s in specs if rooms[s.name].id not in with_history}
    if not wanted:
        return 0
    monthly = {
        key: values
        for key, values in plan(specs, min(month_start(activity_start), current), seed).items()
        if key[0] in wanted and key[1] < starts[key[0]]
    }
    if not monthly:
        return 0
    lines = history.parse(csv_lines(monthly, current), rooms.values(), current=current, stored={})
    now = utcnow()
    session.execute(
        insert(MonthlyHistory),
        [{"room_id": ln.room_id, "month": ln.month, "indicator": ln.indicator, "value": ln.value,
          "imported_at": now, "imported_by_id": None} for ln in lines if not ln.yearly],
    )  # fmt: skip
    session.execute(
        insert(YearlyHistory),
        [{"room_id": ln.room_id, "year": ln.month.year, "indicator": ln.indicator, "value": ln.value,
          "imported_at": now, "imported_by_id": None} for ln in lines if ln.yearly],
    )  # fmt: skip
    for name in sorted(wanted):
        mine = [ln for ln in lines if ln.room_id == rooms[name].id]
        audit.record(
            session,
            "history.import",
            room_id=rooms[name].id,
            entity="monthly_history",
            changes={
                "months": sorted({format_month(ln.month) for ln in mine if not ln.yearly}),
                "years": sorted({ln.month.year for ln in mine if ln.yearly}),
                "lines": len(mine),
                "source": "demo",
            },
        )
    session.flush()
    return len(lines)
