"""The pool's rules as pure functions over plain values (no database, no request).

Sources: the proposal behind the pool (issue #14): applicants are municipalities with a
ministry permit for a municipal room or one run by a self-governing institution with a
*driftsoverenskomst*, municipalities that have applied, and those with concrete plans;
payment needs a granted permit; a municipality receiving operating co-financing funds
operation with at least the same amount itself (establishment needs no match); the pool
has a fixed total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from roomlog.messages import N_, Message
from roomlog.models.codes import OperatorType, PermitStatus

P = PermitStatus
#: Which permit status may follow which (a refused or withdrawn permit can be applied for again).
PERMIT_TRANSITIONS: Mapping[PermitStatus, frozenset[PermitStatus]] = {
    P.PLANNED: frozenset({P.APPLIED, P.WITHDRAWN}),
    P.APPLIED: frozenset({P.GRANTED, P.REFUSED, P.WITHDRAWN}),
    P.GRANTED: frozenset({P.WITHDRAWN}),
    P.REFUSED: frozenset({P.PLANNED, P.APPLIED}),
    P.WITHDRAWN: frozenset({P.PLANNED, P.APPLIED}),
}
ELIGIBLE_PERMITS = frozenset({P.GRANTED, P.APPLIED, P.PLANNED})
FIRST_YEAR, LAST_YEAR = 2020, 2099


_TEXTS = {
    "permit.same": N_("The permit already has this status."),
    "permit.transition": N_("A permit cannot go from %(old)s to %(new)s."),
    "permit.future": N_("The permit date cannot lie in the future."),
    "permit.before_last": N_("The permit date cannot lie before the last step of the permit (%(last)s)."),
    "eligible.operator": N_(
        "The room is run by the municipality or by a self-governing institution with an operating agreement."
    ),
    "eligible.permit_granted": N_("The room has a permit."),
    "eligible.permit_pending": N_(
        "The permit is %(status)s: the application can be decided, but nothing is paid until the permit is granted."
    ),
    "eligible.permit_closed": N_("The permit is %(status)s: apply for a permit again before applying to the pool."),
    "eligible.amount": N_("The application asks for an amount."),
    "eligible.no_amount": N_("The application asks for no amount yet."),
    "eligible.establishment_budget": N_("The establishment amount asked for is at most the establishment budget."),
    "eligible.establishment_over": N_(
        "The establishment amount asked for (%(asked)s) is above the establishment budget (%(budget)s)."
    ),
    "eligible.year_budget": N_("%(year)s: the state co-financing asked for is at most the operating budget."),
    "eligible.year_over": N_(
        "%(year)s: the state co-financing asked for (%(asked)s) is above the operating budget (%(budget)s)."
    ),
    "eligible.match": N_(
        "%(year)s: the municipality's own operating funding (%(own)s) is at least "
        "the state co-financing asked for (%(asked)s)."
    ),
    "eligible.shortfall": N_(
        "%(year)s: the municipality's own operating funding (%(own)s) is %(short)s below "
        "the state co-financing asked for (%(asked)s). It can be submitted, but no operating payment is made "
        "until the municipality funds at least as much itself."
    ),
}


@dataclass(frozen=True)
class Check:
    """One rule checked: a stable code, whether it holds, and the values its message needs."""

    code: str
    ok: bool
    params: Mapping[str, Any] = field(default_factory=dict)
    #: A failed check that blocks submitting. The municipal match does not: it is flagged
    #: and blocks the operating payment until the municipality's own funding is high enough.
    blocking: bool = True

    @property
    def text(self) -> Message:
        """What the check says, for a view to translate (``roomlog.i18n.message``; code lists become labels)."""
        return Message(_TEXTS[self.code], self.params)


def permit_change_problem(
    current: PermitStatus, new: PermitStatus, on: dt.date, last: dt.date | None, today: dt.date
) -> Check | None:
    """Return the broken rule of a permit change, or ``None`` when it is allowed."""
    if new == current:
        return Check("permit.same", False)
    if new not in PERMIT_TRANSITIONS[current]:
        return Check("permit.transition", False, {"old": current, "new": new})
    if on > today:
        return Check("permit.future", False)
    if last is not None and on < last:
        return Check("permit.before_last", False, {"last": last.isoformat()})
    return None


@dataclass(frozen=True)
class YearPlan:
    """One operating year of an application, in whole kroner."""

    year: int
    budget_kr: int
    requested_kr: int
    municipal_kr: int


def shortfall(state_kr: int, municipal_kr: int) -> int:
    """How much the municipal operating funding falls short of the state's co-financing (0 when it matches)."""
    return max(0, state_kr - municipal_kr)


def eligibility(
    operator_type: OperatorType,
    permit: PermitStatus,
    establishment_budget_kr: int,
    establishment_requested_kr: int,
    years: Sequence[YearPlan],
) -> list[Check]:
    """Check an application against the pool's rules; submitting needs every blocking check to hold."""
    from roomlog.funding.money import format_kr

    checks = [Check("eligible.operator", operator_type in (OperatorType.MUNICIPAL, OperatorType.SELF_GOVERNING))]
    status = permit
    if permit == P.GRANTED:
        checks.append(Check("eligible.permit_granted", True))
    elif permit in ELIGIBLE_PERMITS:
        checks.append(Check("eligible.permit_pending", True, {"status": status}))
    else:
        checks.append(Check("eligible.permit_closed", False, {"status": status}))
    asked = establishment_requested_kr + sum(y.requested_kr for y in years)
    checks.append(Check("eligible.amount", True) if asked > 0 else Check("eligible.no_amount", False))
    if establishment_requested_kr > establishment_budget_kr:
        values: dict[str, object] = {
            "asked": format_kr(establishment_requested_kr),
            "budget": format_kr(establishment_budget_kr),
        }
        checks.append(Check("eligible.establishment_over", False, values))
    elif establishment_requested_kr:
        checks.append(Check("eligible.establishment_budget", True))
    for y in years:
        if y.requested_kr > y.budget_kr:
            values = {"year": y.year, "asked": format_kr(y.requested_kr), "budget": format_kr(y.budget_kr)}
            checks.append(Check("eligible.year_over", False, values))
        else:
            checks.append(Check("eligible.year_budget", True, {"year": y.year}))
        money = {"year": y.year, "own": format_kr(y.municipal_kr), "asked": format_kr(y.requested_kr)}
        short = shortfall(y.requested_kr, y.municipal_kr)
        if short:
            checks.append(Check("eligible.shortfall", False, {**money, "short": format_kr(short)}, blocking=False))
        else:
            checks.append(Check("eligible.match", True, money))
    return checks


def pool_excess(pool_total_kr: int, committed_kr: int, new_kr: int) -> int:
    """How far committing ``new_kr`` on top of ``committed_kr`` would go above the pool (0 = fits)."""
    return max(0, committed_kr + new_kr - pool_total_kr)
