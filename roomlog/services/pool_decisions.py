"""The ministry's side of the pool: decide an application, commit, pay or withhold payments.

The rules enforced here, with a clear message each: grants never above what was asked;
commitments never above the pool; no payment while the room's permit is not granted; no
operating payment while the municipality's own operating funding for that room and year is
below the state's co-financing. Every money change is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.funding.money import MAX_KR, format_kr
from roomlog.funding.queries import committed_kr, room_year_match
from roomlog.funding.rules import pool_excess, shortfall
from roomlog.messages import N_, Message
from roomlog.models import PoolApplication, PoolPayment, User
from roomlog.models.base import utcnow
from roomlog.models.codes import ApplicationState, DecisionOutcome, PaymentKind, PaymentState, PermitStatus
from roomlog.services import JOINED, Conflict, DomainError, audit


def _audit(
    session: Session,
    action: str,
    app: PoolApplication,
    actor: User | None,
    entity: str,
    entity_id: int,
    changes: dict[str, Any],
    reason: str | None = None,
) -> None:
    audit.record(
        session, action, user_id=actor.id if actor else None, room_id=app.room_id, entity=entity, entity_id=entity_id,
        changes=changes, reason=reason,
    )  # fmt: skip


def _outcome(asked: int, granted: int, every_in_full: bool) -> DecisionOutcome:
    if granted == 0:
        return DecisionOutcome.REFUSED
    return DecisionOutcome.FULL if every_in_full and granted == asked else DecisionOutcome.PARTIAL


def decide(
    session: Session,
    app: PoolApplication,
    *,
    actor: User | None,
    establishment_kr: int,
    operating_kr: Mapping[int, int],
    reason: str,
    pool_total_kr: int,
) -> DecisionOutcome:
    """Grant establishment and operating co-financing per year (full, partial or refused), within the pool."""
    if app.state != ApplicationState.SUBMITTED:
        raise Conflict(N_("Only a submitted application can be decided."))
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise DomainError(N_("A reason is at most 1,000 characters."))
    amounts = {"establishment": establishment_kr, **{str(y): v for y, v in operating_kr.items()}}
    if any(not 0 <= v <= MAX_KR for v in amounts.values()):
        raise DomainError(N_("An amount is whole kroner from 0 up."))
    if establishment_kr > app.establishment_requested_kr:
        raise DomainError(
            N_("The establishment grant cannot be above the amount asked for (%(asked)s)."),
            asked=format_kr(app.establishment_requested_kr),
        )
    years = {y.year: y for y in app.years}
    for year, granted in operating_kr.items():
        if year not in years:
            raise DomainError(N_("The application has no such year."))
        if granted > years[year].operating_requested_kr:
            raise DomainError(
                N_("%(year)s: the operating grant cannot be above the amount asked for (%(asked)s)."),
                year=year,
                asked=format_kr(years[year].operating_requested_kr),
            )
    granted = establishment_kr + sum(operating_kr.values())
    asked = app.establishment_requested_kr + sum(y.operating_requested_kr for y in app.years)
    in_full = establishment_kr == app.establishment_requested_kr and all(
        operating_kr.get(y, 0) == r.operating_requested_kr for y, r in years.items()
    )
    outcome = _outcome(asked, granted, in_full)
    if outcome != DecisionOutcome.FULL and not reason:
        raise DomainError(N_("Give a reason when the application is granted in part or refused."))
    others = committed_kr(session, exclude_application_id=app.id)
    excess = pool_excess(pool_total_kr, others, granted)
    if excess:
        raise DomainError(
            N_(
                "The pool cannot commit %(granted)s: %(committed)s is committed already, so only %(left)s of "
                "the pool's %(total)s is left (%(excess)s too much)."
            ),
            granted=format_kr(granted), committed=format_kr(others), left=format_kr(max(0, pool_total_kr - others)),
            total=format_kr(pool_total_kr), excess=format_kr(excess),
        )  # fmt: skip
    app.establishment_granted_kr = establishment_kr
    for year, row in years.items():
        row.operating_granted_kr = operating_kr.get(year, 0)
    app.state, app.outcome, app.decision_reason = ApplicationState.DECIDED, outcome, reason
    app.decided_at, app.decided_by_id = utcnow(), actor.id if actor else None
    session.flush()
    changes = {
        "outcome": outcome,
        "granted_kr": granted,
        "establishment_kr": establishment_kr,
        "operating_kr": {str(y): operating_kr.get(y, 0) for y in years},
    }
    _audit(session, "pool.decision", app, actor, "pool_application", app.id, changes, reason or None)
    return outcome


def _available(app: PoolApplication, kind: PaymentKind, year: int | None) -> int:
    if kind == PaymentKind.ESTABLISHMENT:
        granted = app.establishment_granted_kr
    else:
        granted = next((y.operating_granted_kr for y in app.years if y.year == year), 0)
    used = sum(
        p.amount_kr for p in app.payments if p.kind == kind and p.year == year and p.state != PaymentState.WITHHELD
    )
    return granted - used


def commit_payment(
    session: Session,
    app: PoolApplication,
    *,
    actor: User | None,
    kind: PaymentKind,
    year: int | None,
    amount_kr: int,
    request_key: str | None = None,
) -> PoolPayment:
    """Commit a payment of a granted amount (establishment, or operating for one year).

    With ``request_key`` (the form's one-time key) a repeated request returns the payment it
    already committed instead of committing a second one.
    """
    if request_key:
        earlier = session.scalar(select(PoolPayment).where(PoolPayment.request_key == request_key))
        if earlier is not None:
            same = (earlier.application_id, earlier.kind, earlier.amount_kr) == (app.id, kind, amount_kr)
            if not same or (kind == PaymentKind.OPERATING and earlier.year != year):
                raise Conflict(N_("This form was already used for another payment. Reload the page."))
            return earlier
    if app.state != ApplicationState.DECIDED or app.outcome == DecisionOutcome.REFUSED:
        raise Conflict(N_("Payments can only be made on a granted application."))
    year = year if kind == PaymentKind.OPERATING else None
    if kind == PaymentKind.OPERATING and year not in {y.year for y in app.years}:
        raise DomainError(N_("The application has no such year."))
    if not 0 < amount_kr <= MAX_KR:
        raise DomainError(N_("A payment is a whole number of kroner above 0."))
    left = _available(app, kind, year)
    if amount_kr > left:
        raise DomainError(
            N_("The payment of %(amount)s is above what is left of the grant (%(left)s)."),
            amount=format_kr(amount_kr),
            left=format_kr(max(left, 0)),
        )
    payment = PoolPayment(
        application_id=app.id,
        kind=kind,
        year=year,
        amount_kr=amount_kr,
        committed_by_id=actor.id if actor else None,
        request_key=request_key or None,
    )
    session.add(payment)
    session.flush()
    session.refresh(app, ["payments"])
    _audit(
        session,
        "pool.payment.commit",
        app,
        actor,
        "pool_payment",
        payment.id,
        {"state": [None, "committed"], "amount_kr": amount_kr, "kind": kind, "year": year},
    )
    return payment


def payment_blockers(session: Session, payment: PoolPayment) -> list[Message]:
    """Why a committed payment cannot be paid now (empty when it can)."""
    app = payment.application
    room = app.room
    problems = []
    if room.permit_status != PermitStatus.GRANTED:
        problems.append(
            Message(
                N_("No payment while the permit of %(room)s is not granted (it is %(status)s)."),
                {"room": room.name, "status": room.permit_status},
            )
        )
    if payment.kind == PaymentKind.OPERATING and payment.year is not None:
        state, own = room_year_match(session, app.room_id, payment.year)
        short = shortfall(state, own)
        if short:
            problems.append(
                Message(
                    N_(
                        "%(year)s: the municipality's own operating funding for %(room)s (%(own)s) is %(short)s below "
                        "the state's operating co-financing (%(state)s); no operating payment until it is at least "
                        "as much."
                    ),
                    {"year": payment.year, "room": room.name, "own": format_kr(own), "short": format_kr(short),
                     "state": format_kr(state)},
                )
            )  # fmt: skip
    return problems


def pay(session: Session, payment: PoolPayment, *, actor: User | None) -> None:
    """Mark a committed payment as paid, if the permit is granted and the municipal match holds."""
    if payment.state != PaymentState.COMMITTED:
        raise Conflict(N_("Only a committed payment can be paid or withheld."))
    problems = payment_blockers(session, payment)
    if problems:
        raise DomainError(JOINED, problems=tuple(problems))
    payment.state, payment.settled_at, payment.settled_by_id = PaymentState.PAID, utcnow(), actor.id if actor else None
    session.flush()
    _audit(
        session,
        "pool.payment.pay",
        payment.application,
        actor,
        "pool_payment",
        payment.id,
        {"state": ["committed", "paid"], "amount_kr": payment.amount_kr},
    )


def withhold(session: Session, payment: PoolPayment, *, actor: User | None, reason: str) -> None:
    """Withhold a committed payment, with a reason (the amount can be committed again later)."""
    if payment.state != PaymentState.COMMITTED:
        raise Conflict(N_("Only a committed payment can be paid or withheld."))
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise DomainError(N_("Give a reason (at most 500 characters) for withholding the payment."))
    payment.state, payment.reason = PaymentState.WITHHELD, reason
    payment.settled_at, payment.settled_by_id = utcnow(), actor.id if actor else None
    session.flush()
    _audit(
        session,
        "pool.payment.withhold",
        payment.application,
        actor,
        "pool_payment",
        payment.id,
        {"state": ["committed", "withheld"], "amount_kr": payment.amount_kr},
        reason,
    )
