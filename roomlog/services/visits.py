"""Visits: check-in by visitor code, anonymous visits, turning away, check-out.

The raw visitor code lives only in this function's arguments: it is turned into the keyed
pseudonym at once and never stored, logged or returned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from roomlog.messages import N_
from roomlog.models import Room, User, Visit, Visitor
from roomlog.models.base import utcnow
from roomlog.models.codes import Nationality, Sex, TurnAwayReason, VisitOutcome
from roomlog.services import DomainError, audit, locks
from roomlog.services.event_times import Stamp, check_change, fill
from roomlog.services.pseudonyms import age_on, check_word, pseudonym, visitor_code

ADULT_AGE = 18
_VISITS: Table = Visit.__table__  # type: ignore[assignment]  # a mapped class's __table__ is its Table
_INSERT_VISIT = insert(_VISITS)
#: The visit columns' scalar Python-side defaults (SQLAlchemy adds them to its INSERT; a literal insert must too).
_DEFAULTS = {
    column.key: column.default.arg  # type: ignore[attr-defined]  # a ScalarElementColumnDefault has .arg
    for column in _VISITS.columns
    if column.default is not None and column.default.is_scalar
}


@dataclass(frozen=True)
class CodeParts:
    """The parts of a visitor code as typed at the door (kept in memory only)."""

    last_letters: str
    first_letters: str
    birth_date: dt.date
    sex: Sex


def visitor_pseudonym(key: str, parts: CodeParts) -> str:
    """Return the keyed pseudonym of the visitor code built from ``parts``."""
    return pseudonym(key, visitor_code(parts.last_letters, parts.first_letters, parts.birth_date, parts.sex))


def _new_visit(room: Room, user: User, stamp: Stamp, key: str, payload_hash: str, **values: object) -> Visit:
    visit = Visit(**values)
    fill(visit, room, user, stamp, key, payload_hash)
    return visit


def _audit_created(session: Session, user: User, visit: Visit) -> None:
    session.flush()
    audit.record(
        session,
        "visit.create",
        user_id=user.id,
        room_id=visit.room_id,
        entity="visit",
        entity_id=visit.id,
        changes=_created_changes(visit),
    )


def _created_changes(visit: Visit) -> dict[str, object]:
    return {"outcome": visit.outcome, "reason": visit.turn_away_reason, "backdated": visit.backdated}


def check_in(
    session: Session,
    room: Room,
    user: User,
    stamp: Stamp,
    *,
    pseudonym_key: str,
    parts: CodeParts,
    nationality: Nationality,
    key: str,
    payload_hash: str,
) -> Visit:
    """Check a visitor in by code; under 18 is turned away and no visitor row is made."""
    if parts.birth_date > stamp.occurred_at.date():
        raise DomainError(N_("The birth date lies in the future."))
    if age_on(parts.birth_date, stamp.service_day) < ADULT_AGE:
        visit = _new_visit(
            room,
            user,
            stamp,
            key,
            payload_hash,
            outcome=VisitOutcome.TURNED_AWAY,
            turn_away_reason=TurnAwayReason.UNDER_18,
            left_at=stamp.occurred_at,
        )
        session.add(visit)
        _audit_created(session, user, visit)
        return visit
    digest = visitor_pseudonym(pseudonym_key, parts)
    visitor = session.scalar(select(Visitor).where(Visitor.pseudonym == digest))
    if visitor is None:
        visitor = Visitor(
            pseudonym=digest,
            check_word=check_word(digest),
            birth_year=parts.birth_date.year,
            sex=parts.sex,
            nationality=nationality,
            first_registered_at=stamp.recorded_at,
            home_room_id=room.id,
        )
        session.add(visitor)
        session.flush()
    visit = _new_visit(room, user, stamp, key, payload_hash, visitor_id=visitor.id, outcome=VisitOutcome.ADMITTED)
    visit.visitor = visitor
    session.add(visit)
    _audit_created(session, user, visit)
    return visit


def is_minor(birth_date: dt.date, day: dt.date) -> bool:
    """Return whether someone born on ``birth_date`` is under 18 on ``day``."""
    return age_on(birth_date, day) < ADULT_AGE


def open_visit_today(session: Session, room: Room, pseudonym_key: str, parts: CodeParts, day: dt.date) -> Visit | None:
    """Return the visitor's open visit of this service day in ``room``, so a second check-in offers it instead."""
    visitor = session.scalar(select(Visitor).where(Visitor.pseudonym == visitor_pseudonym(pseudonym_key, parts)))
    if visitor is None:
        return None
    stmt = select(Visit).where(
        Visit.room_id == room.id,
        Visit.visitor_id == visitor.id,
        Visit.service_day == day,
        Visit.outcome == VisitOutcome.ADMITTED,
        Visit.left_at.is_(None),
        Visit.voided.is_(False),
    )
    return session.scalar(stmt.order_by(Visit.occurred_at.desc()).limit(1))


def anonymous_visit(session: Session, room: Room, user: User, stamp: Stamp, *, key: str, payload_hash: str) -> Visit:
    """Register an admitted visit without a visitor code.

    A stamp whose month was not checked yet (``resolve(check_period=False)``) is checked here:
    on PostgreSQL, when the month has no status row and is not past its lock date, in the one
    statement that inserts the visit and its audit entry (nothing is written if a status row
    turned up: then the full check runs and the visit is inserted as below).
    The returned visit carries its id but is not tracked by ``session``: to change it, load it
    with ``session.get(Visit, visit.id)``.
    """
    visit = _new_visit(
        room,
        user,
        replace(stamp, period_checked=True),
        key,
        payload_hash,
        visitor_id=None,
        outcome=VisitOutcome.ADMITTED,
    )
    # The one-tap hot path: one plain INSERT on the session's connection (the same row, the same
    # unique key and checks in the database) instead of the unit of work; the caller needs its id only.
    values = {column.key: visit.__dict__[column.key] for column in _VISITS.columns if column.key in visit.__dict__}
    if not stamp.period_checked:
        if session.get_bind().dialect.name == "postgresql" and locks.open_without_status(stamp.service_day):
            values.update({name: value for name, value in _DEFAULTS.items() if name not in values})
            entry = audit.record_insert_pg(
                session, _VISITS, values, locks.no_status_sql(room.id, stamp.service_day), "visit.create",
                user_id=user.id, room_id=room.id, entity="visit", changes=_created_changes(visit),
            )  # fmt: skip
            if entry is not None:
                visit.id = entry.entity_id  # type: ignore[assignment]  # set from the insert's RETURNING
                return visit
        locks.check_change_allowed(session, room, stamp.service_day, user, None)
    visit.id = session.connection().execute(_INSERT_VISIT, values).inserted_primary_key[0]  # type: ignore[index]  # an INSERT's key
    _audit_created(session, user, visit)
    return visit


def turn_away(
    session: Session, room: Room, user: User, stamp: Stamp, *, reason: TurnAwayReason, key: str, payload_hash: str
) -> Visit:
    """Record that someone was turned away, with the reason (no code needed)."""
    visit = _new_visit(
        room,
        user,
        stamp,
        key,
        payload_hash,
        visitor_id=None,
        outcome=VisitOutcome.TURNED_AWAY,
        turn_away_reason=reason,
        left_at=stamp.occurred_at,
    )
    session.add(visit)
    _audit_created(session, user, visit)
    return visit


def is_known(visit: Visit) -> bool:
    """Return whether the visitor was registered before this visit."""
    visitor = visit.visitor
    return visitor is not None and visitor.first_registered_at < visit.recorded_at


def other_open_visits(session: Session, visit: Visit) -> list[Visit]:
    """Return the visitor's other open visits in the same room (e.g. a missed check-out)."""
    if visit.visitor_id is None:
        return []
    stmt = select(Visit).where(
        Visit.room_id == visit.room_id,
        Visit.visitor_id == visit.visitor_id,
        Visit.id != visit.id,
        Visit.outcome == VisitOutcome.ADMITTED,
        Visit.left_at.is_(None),
        Visit.voided.is_(False),
    )
    return list(session.scalars(stmt.order_by(Visit.occurred_at)))


def check_out(session: Session, visit: Visit, user: User, at: dt.datetime | None = None) -> Visit:
    """Close an open visit and end its active consumptions; twice changes nothing (refused in a locked month)."""
    check_change(session, visit, user)
    if not visit.is_open:
        return visit
    left = at or utcnow()
    if left < visit.occurred_at:
        left = visit.occurred_at
    for consumption in visit.consumptions:
        if consumption.is_active:
            consumption.ended_at = max(left, consumption.occurred_at)
    visit.left_at = left
    session.flush()
    audit.record(
        session,
        "visit.check_out",
        user_id=user.id,
        room_id=visit.room_id,
        entity="visit",
        entity_id=visit.id,
        changes={"left_at": [None, left]},
    )
    return visit
