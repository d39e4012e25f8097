"""A municipality's application to the pool: create (for an existing or a new room), plan years, submit.

Draft → submitted here; the decision is in ``pool_decisions``. Every money change is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.calendar import COPENHAGEN
from roomlog.funding.money import MAX_KR
from roomlog.funding.rules import FIRST_YEAR, LAST_YEAR, Check, YearPlan, eligibility
from roomlog.messages import N_
from roomlog.models import Municipality, PoolApplication, PoolApplicationYear, Room, User
from roomlog.models.base import utcnow
from roomlog.models.codes import ApplicationState, OperatorType, PermitStatus
from roomlog.services import Conflict, DomainError, audit
from roomlog.services.rooms import create_room


def _audit(session: Session, action: str, app: PoolApplication, actor: User | None, changes: dict[str, Any]) -> None:
    audit.record(
        session, action, user_id=actor.id if actor else None, room_id=app.room_id, entity="pool_application",
        entity_id=app.id, changes=changes,
    )  # fmt: skip


def _amount(value: int) -> int:
    if not 0 <= value <= MAX_KR:
        raise DomainError(N_("An amount is whole kroner from 0 up."))
    return value


def _draft(app: PoolApplication) -> None:
    if app.state != ApplicationState.DRAFT:
        raise Conflict(N_("The application is submitted and can no longer be changed."))


def create_application(
    session: Session,
    municipality: Municipality,
    *,
    actor: User | None,
    room: Room | None = None,
    new_room_name: str = "",
    new_room_permit: PermitStatus | None = None,
    new_room_permit_date: dt.date | None = None,
    establishment_budget_kr: int = 0,
    establishment_requested_kr: int = 0,
) -> PoolApplication:
    """Start a draft for one of the municipality's rooms, or for a new room it plans (created as planned/applied)."""
    if room is None:
        if not new_room_name.strip():
            raise DomainError(N_("Choose one of the municipality's rooms or name the new room."))
        room = create_room(
            session,
            actor=actor,
            name=new_room_name,
            municipality_code=municipality.code,
            operator_name=municipality.official_name,
            operator_type=OperatorType.MUNICIPAL,
            permit_status=new_room_permit or PermitStatus.PLANNED,
            permit_date=new_room_permit_date or dt.datetime.now(COPENHAGEN).date(),
        )
    elif room.municipality_code != municipality.code:
        raise DomainError(N_("A municipality applies only for its own rooms."))
    app = PoolApplication(
        municipality_code=municipality.code,
        room_id=room.id,
        establishment_budget_kr=_amount(establishment_budget_kr),
        establishment_requested_kr=_amount(establishment_requested_kr),
        created_by_id=actor.id if actor else None,
    )
    session.add(app)
    session.flush()
    changes = {
        "establishment_budget_kr": app.establishment_budget_kr,
        "establishment_requested_kr": app.establishment_requested_kr,
    }
    _audit(session, "pool.application.create", app, actor, changes)
    return app


def set_establishment(
    session: Session, app: PoolApplication, *, actor: User | None, budget_kr: int, requested_kr: int
) -> None:
    """Change the establishment budget and the amount asked for (draft only)."""
    _draft(app)
    before = {
        "establishment_budget_kr": app.establishment_budget_kr,
        "establishment_requested_kr": app.establishment_requested_kr,
    }
    app.establishment_budget_kr, app.establishment_requested_kr = _amount(budget_kr), _amount(requested_kr)
    after = {
        "establishment_budget_kr": app.establishment_budget_kr,
        "establishment_requested_kr": app.establishment_requested_kr,
    }
    session.flush()
    _audit(session, "pool.application.establishment", app, actor, audit.diff(before, after))


def set_year(
    session: Session,
    app: PoolApplication,
    *,
    actor: User | None,
    year: int,
    budget_kr: int,
    requested_kr: int,
    municipal_kr: int,
) -> PoolApplicationYear:
    """Add or replace one operating year: budget, state co-financing asked for, own operating funding (draft only)."""
    _draft(app)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(N_("The year must lie between %(first)s and %(last)s."), first=FIRST_YEAR, last=LAST_YEAR)
    row = session.scalar(
        select(PoolApplicationYear).where(
            PoolApplicationYear.application_id == app.id, PoolApplicationYear.year == year
        )
    )
    fields = ("operating_budget_kr", "operating_requested_kr", "municipal_funding_kr")
    if row is None:
        row = PoolApplicationYear(application_id=app.id, year=year)
        session.add(row)
        before: dict[str, object] = {}
    else:
        before = {f: getattr(row, f) for f in fields}
    row.operating_budget_kr, row.operating_requested_kr = _amount(budget_kr), _amount(requested_kr)
    row.municipal_funding_kr = _amount(municipal_kr)
    session.flush()
    session.refresh(app, ["years"])
    _audit(
        session,
        "pool.application.year",
        app,
        actor,
        {"year": year, **audit.diff(before, {f: getattr(row, f) for f in fields})},
    )
    return row


def remove_year(session: Session, app: PoolApplication, *, actor: User | None, year: int) -> None:
    """Take an operating year out of a draft."""
    _draft(app)
    row = next((y for y in app.years if y.year == year), None)
    if row is None:
        raise DomainError(N_("The application has no such year."))
    app.years.remove(row)
    session.flush()
    _audit(
        session,
        "pool.application.year_removed",
        app,
        actor,
        {"year": year, "operating_requested_kr": [row.operating_requested_kr, None]},
    )


def checks(app: PoolApplication) -> list[Check]:
    """The eligibility checks of an application, as shown before submitting."""
    years = [
        YearPlan(y.year, y.operating_budget_kr, y.operating_requested_kr, y.municipal_funding_kr) for y in app.years
    ]
    return eligibility(
        app.room.operator_type,
        app.room.permit_status,
        app.establishment_budget_kr,
        app.establishment_requested_kr,
        years,
    )


def submit(session: Session, app: PoolApplication, *, actor: User | None) -> None:
    """Submit a draft whose every blocking eligibility check holds; the permit status at that moment is kept."""
    _draft(app)
    failed = [c for c in checks(app) if not c.ok and c.blocking]
    if failed:
        raise DomainError(
            N_("The application cannot be submitted yet: %(problems)s"), problems=tuple(c.text for c in failed)
        )
    app.state, app.submitted_at, app.permit_at_submit = ApplicationState.SUBMITTED, utcnow(), app.room.permit_status
    session.flush()
    asked = app.establishment_requested_kr + sum(y.operating_requested_kr for y in app.years)
    _audit(session, "pool.application.submit", app, actor, {"state": ["draft", "submitted"], "requested_kr": asked})


def set_own_funding(
    session: Session, app: PoolApplication, *, actor: User | None, year: int, municipal_kr: int
) -> None:
    """Change the municipality's own operating funding of one year, in any state (it decides operating payments)."""
    row = next((y for y in app.years if y.year == year), None)
    if row is None:
        raise DomainError(N_("The application has no such year."))
    before = row.municipal_funding_kr
    row.municipal_funding_kr = _amount(municipal_kr)
    session.flush()
    _audit(
        session,
        "pool.application.own_funding",
        app,
        actor,
        {"year": year, "municipal_funding_kr": [before, row.municipal_funding_kr]},
    )
