"""Read the pool: funding per room and year, commitments, payments — scoped by municipality.

Every function takes ``municipality_code``: a municipality user passes its own code and sees
only its own rooms and applications; ``None`` (national) sees all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from roomlog.funding.cost import Funding
from roomlog.funding.rules import shortfall
from roomlog.models import PoolApplication, PoolApplicationYear, Room
from roomlog.models.codes import ApplicationState, DecisionOutcome, PaymentState, PermitStatus

GRANTS = (DecisionOutcome.FULL, DecisionOutcome.PARTIAL)
S = TypeVar("S", bound=Select[*tuple[Any, ...]])  # any select (SQLAlchemy 2.1: Select[*Ts])


def _scoped(stmt: S, municipality_code: str | None) -> S:
    if municipality_code is not None:
        stmt = stmt.where(PoolApplication.municipality_code == municipality_code)
    return stmt


def applications(
    session: Session, municipality_code: str | None, *, state: ApplicationState | None = None
) -> list[PoolApplication]:
    """Applications in scope, newest first (with room, years and payments loaded)."""
    stmt = select(PoolApplication).options(
        selectinload(PoolApplication.years), selectinload(PoolApplication.payments), selectinload(PoolApplication.room)
    )
    if state is not None:
        stmt = stmt.where(PoolApplication.state == state)
    return list(session.scalars(_scoped(stmt, municipality_code).order_by(PoolApplication.id.desc())))


def application_in_scope(
    session: Session, application_id: int, municipality_code: str | None
) -> PoolApplication | None:
    """One application if it is in scope (``None`` otherwise — the caller answers 404)."""
    stmt = _scoped(select(PoolApplication).where(PoolApplication.id == application_id), municipality_code)
    return session.scalar(stmt)


def granted_years(session: Session, municipality_code: str | None, year: int | None = None) -> list[Funding]:
    """Operating funding per room and year of the granted applications: state co-financing + own funding."""
    stmt = (
        select(
            PoolApplication.room_id,
            PoolApplicationYear.year,
            func.sum(PoolApplicationYear.operating_granted_kr),
            func.sum(PoolApplicationYear.municipal_funding_kr),
        )
        .join(PoolApplicationYear.application)
        .where(PoolApplication.state == ApplicationState.DECIDED, PoolApplication.outcome.in_(GRANTS))
        .group_by(PoolApplication.room_id, PoolApplicationYear.year)
        .order_by(PoolApplicationYear.year, PoolApplication.room_id)
    )
    if year is not None:
        stmt = stmt.where(PoolApplicationYear.year == year)
    return [Funding(r, y, int(s or 0), int(m or 0)) for r, y, s, m in session.execute(_scoped(stmt, municipality_code))]


def committed_kr(session: Session, *, exclude_application_id: int | None = None) -> int:
    """Everything the pool has committed: establishment and operating granted in decisions (all municipalities)."""
    est = select(func.coalesce(func.sum(PoolApplication.establishment_granted_kr), 0)).where(
        PoolApplication.state == ApplicationState.DECIDED
    )
    ops = (
        select(func.coalesce(func.sum(PoolApplicationYear.operating_granted_kr), 0))
        .join(PoolApplicationYear.application)
        .where(PoolApplication.state == ApplicationState.DECIDED)
    )
    if exclude_application_id is not None:
        est = est.where(PoolApplication.id != exclude_application_id)
        ops = ops.where(PoolApplication.id != exclude_application_id)
    return int(session.scalar(est) or 0) + int(session.scalar(ops) or 0)


@dataclass
class RoomLine:
    """One room in the pool overview: what is granted, committed for payment, paid, and the rule checks."""

    room: Room
    granted_kr: int = 0
    scheduled_kr: int = 0
    paid_kr: int = 0
    withheld_kr: int = 0
    #: ``{year: shortfall_kr}`` for the years where own funding is below the state co-financing.
    shortfalls: dict[int, int] = field(default_factory=dict)

    @property
    def to_pay_kr(self) -> int:
        return self.granted_kr - self.paid_kr

    @property
    def permit_granted(self) -> bool:
        return self.room.permit_status == PermitStatus.GRANTED


@dataclass
class Overview:
    """The pool at a glance, for one scope."""

    total_kr: int
    committed_kr: int
    paid_kr: int
    scheduled_kr: int
    lines: list[RoomLine]
    by_municipality: dict[str, dict[str, int]]
    awaiting: list[PoolApplication]

    @property
    def remaining_kr(self) -> int:
        return self.total_kr - self.committed_kr


def overview(session: Session, total_kr: int, municipality_code: str | None = None) -> Overview:
    """Committed, paid and remaining, by municipality and room, with checks and the applications awaiting decision."""
    lines: dict[int, RoomLine] = {}
    state_by: dict[tuple[int, int], int] = defaultdict(int)
    own_by: dict[tuple[int, int], int] = defaultdict(int)
    for app in applications(session, municipality_code, state=ApplicationState.DECIDED):
        line = lines.setdefault(app.room_id, RoomLine(app.room))
        line.granted_kr += app.establishment_granted_kr + sum(y.operating_granted_kr for y in app.years)
        for y in app.years:
            if y.operating_granted_kr:
                state_by[(app.room_id, y.year)] += y.operating_granted_kr
                own_by[(app.room_id, y.year)] += y.municipal_funding_kr
        for p in app.payments:
            if p.state == PaymentState.PAID:
                line.paid_kr += p.amount_kr
            elif p.state == PaymentState.COMMITTED:
                line.scheduled_kr += p.amount_kr
            else:
                line.withheld_kr += p.amount_kr
    for (room_id, year), state in sorted(state_by.items()):
        short = shortfall(state, own_by[(room_id, year)])
        if short:
            lines[room_id].shortfalls[year] = short
    ordered = sorted(lines.values(), key=lambda ln: (ln.room.municipality.name, ln.room.name))
    by_municipality: dict[str, dict[str, int]] = {}
    for ln in ordered:
        sums = by_municipality.setdefault(ln.room.municipality.name, {"granted": 0, "paid": 0, "scheduled": 0})
        sums["granted"] += ln.granted_kr
        sums["paid"] += ln.paid_kr
        sums["scheduled"] += ln.scheduled_kr
    committed = committed_kr(session) if municipality_code is None else sum(ln.granted_kr for ln in ordered)
    return Overview(
        total_kr=total_kr,
        committed_kr=committed,
        paid_kr=sum(ln.paid_kr for ln in ordered),
        scheduled_kr=sum(ln.scheduled_kr for ln in ordered),
        lines=ordered,
        by_municipality=by_municipality,
        awaiting=applications(session, municipality_code, state=ApplicationState.SUBMITTED),
    )


def room_year_match(session: Session, room_id: int, year: int) -> tuple[int, int]:
    """State operating co-financing granted and own operating funding of a room and year (all decisions)."""
    rows = granted_years(session, None, year)
    for f in rows:
        if f.room_id == room_id:
            return f.state_kr, f.municipal_kr
    return 0, 0
