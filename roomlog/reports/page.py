"""Everything the monthly summary shows, gathered once for the screen, the print and the PDF."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from roomlog.calendar import add_months, today_local
from roomlog.i18n import message
from roomlog.models import PeriodStatus, Room, User
from roomlog.models.base import utcnow
from roomlog.models.room_months import is_locked, lock_date
from roomlog.reporting import compute_many, first_known_month, periods
from roomlog.reporting.checks import SHOWN, Check, CheckItem, run_checks
from roomlog.reporting.combine import SNAPSHOT, MonthState
from roomlog.reporting.compare import HEADLINE, Comparison, compare
from roomlog.reporting.detail import ActionCount, Bar, Detail, HeatMap, bars, detail_of
from roomlog.reporting.indicators import Indicator, in_section
from roomlog.reporting.periods import Period
from roomlog.reporting.queries import first_visit_day, history_months
from roomlog.reporting.summary import Number, Values
from roomlog.services import approval_changes
from roomlog.services.approval import refusal
from roomlog.services.approval_changes import ChangesSinceApproval
from roomlog.services.locks import get_status

#: (title, indicator code prefix) of the breakdown tables.
BREAKDOWNS = (
    (_l("Turned away by reason"), "visits.turned_away.reason."),
    (_l("Consumptions by route"), "consumptions.route."),
    (_l("Consumptions by substance"), "consumptions.substance."),
    (_l("Unique visitors by sex"), "visitors.sex."),
    (_l("Unique visitors by age"), "visitors.age."),
    (_l("Emergencies by type"), "emergencies.type."),
    (_l("Referrals by kind"), "referrals.kind."),
    (_l("Referrals by target"), "referrals.target."),
    (_l("Other services (quantity)"), "services."),
)


@dataclass(frozen=True)
class BreakdownRow:
    indicator: Indicator
    month: Number | None
    year_to_date: Number | None
    share: float


@dataclass(frozen=True)
class Breakdown:
    title: str
    rows: tuple[BreakdownRow, ...]


@dataclass(frozen=True)
class MonthlyPage:
    """The monthly summary of one room: numbers, comparisons, charts and approval state."""

    room: Room
    period: Period
    generated_at: dt.datetime
    state: MonthState
    status: PeriodStatus | None
    approved_by: str | None
    accepted_by: str | None
    finished: bool
    locked: bool
    lock_date: dt.date
    comparisons: list[Comparison]
    breakdowns: list[Breakdown]
    heat: HeatMap
    bands: tuple[Bar, ...]
    actions: tuple[ActionCount, ...]
    outcomes: tuple[tuple[object, int], ...]
    since: Period
    previous_month: dt.date
    next_month: dt.date | None
    checks: list[Check] | None
    #: Why the month can never be approved (before the room opened, or in the future), else ``None``.
    approval_refused: str | None = None
    #: Where the arrivals, actions and outcomes come from: ``snapshot`` (stored at approval) or ``events``.
    detail_source: str = "events"
    #: A closed month: what differs from its snapshot now (``None`` for an open month).
    changes: ChangesSinceApproval | None = None

    @property
    def closed(self) -> bool:
        """Whether every number on the page is the snapshot stored at approval."""
        return self.state.source == SNAPSHOT

    @property
    def checks_pass(self) -> bool:
        return self.checks is not None and all(c.ok for c in self.checks if c.blocking)

    @property
    def needs_review(self) -> bool:
        """Whether back-dated entries (or other non-blocking findings of the checks) await review."""
        return self.checks is not None and any(
            not c.ok for c in self.checks if not c.blocking and c.code != approval_changes.CHECK_CODE
        )


def _breakdowns(month: Values, ytd: Values) -> list[Breakdown]:
    out = []
    for title, prefix in BREAKDOWNS:
        indicators = [i for i in in_section(prefix.split(".")[0]) if i.code.startswith(prefix)]
        shares = {b.key: b.share for b in bars((i.code, int(month[i.code] or 0)) for i in indicators)}
        rows = tuple(BreakdownRow(i, month[i.code], ytd[i.code], shares[i.code]) for i in indicators)
        out.append(Breakdown(str(title), rows))
    return out


def _username(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.username if user else None


def _known(session: Session, room: Room, values: Values, month: Period, first_use: dt.date | None) -> Values:
    """``values`` of an earlier month, or unknown (``None``) for every code when roomlog has no data for it:
    neither imported history nor recorded use of roomlog (from ``first_use``) by then."""
    if (first_use is not None and month.last >= first_use.replace(day=1)) or history_months(
        session, room.id, month.first, month.last
    ):
        return values
    return Values()  # every code None: unknown, never a zero


def build(session: Session, room: Room, month: dt.date, *, with_checks: bool, with_changes: bool = True) -> MonthlyPage:
    """Compute the monthly page of ``room`` for ``month`` (the first day of the month); ``with_changes``
    recounts a closed month from its records to say what changed after approval."""
    period = periods.month(month)
    first_use = first_visit_day(session, room.id)  # read once for the three uses below
    known = first_known_month(session, room.id, first_use)
    # Unknown is not zero: "since opening" sums the months roomlog knows (imported history and
    # recorded months) and says from when; an earlier month with no data at all is unknown.
    since = Period(min(known, period.first), period.last) if known else period
    ids = [room.id]
    wanted = [
        period,
        periods.previous_month(period),
        periods.same_period_last_year(period),
        periods.year_to_date(period),
        since,
    ]
    report, previous, last_year, ytd_report, since_report = compute_many(session, ids, wanted)
    values, ytd = report.per_room[room.id], ytd_report.per_room[room.id]
    comparisons = compare(
        HEADLINE,
        values,
        _known(session, room, previous.per_room[room.id], wanted[1], first_use),
        _known(session, room, last_year.per_room[room.id], wanted[2], first_use),
        ytd,
        since_report.per_room[room.id],
    )
    today = today_local()
    finished = period.last_day < today
    state = report.state(room.id, month)
    status = get_status(session, room.id, month)
    detail, detail_source = _detail(session, room.id, month, state.source == SNAPSHOT)
    changes = None
    if with_changes and state.source == SNAPSHOT and status is not None:
        changes = approval_changes.since_approval(session, room, month, status, values)
    checks = run_checks(session, room.id, month) if with_checks and finished else None
    lock_after = current_app.config["LOCK_AFTER_DAYS"]
    following = add_months(month, 1)
    return MonthlyPage(
        room=room,
        period=period,
        generated_at=utcnow(),
        state=state,
        status=status,
        approved_by=_username(session, status.approved_by_id if status else None),
        accepted_by=_username(session, status.accepted_by_id if status else None),
        finished=finished,
        locked=is_locked(status, month, today, lock_after),
        lock_date=lock_date(month, lock_after),
        comparisons=comparisons,
        breakdowns=_breakdowns(values, ytd),
        heat=detail.heat,
        bands=detail.bands,
        actions=detail.actions,
        outcomes=detail.outcomes,
        since=since,
        previous_month=add_months(month, -1),
        next_month=following if following <= today else None,
        checks=_with_changes(checks, changes),
        approval_refused=_refused(room, month, today) if finished or month > today else None,
        detail_source=detail_source,
        changes=changes,
    )


def _detail(session: Session, room_id: int, month: dt.date, closed: bool) -> tuple[Detail, str]:
    """The arrivals, actions and outcomes: stored at approval for a closed month, else from events."""
    stored = approval_changes.stored_detail(session, room_id, month) if closed else None
    if stored is not None:
        return detail_of(stored), SNAPSHOT
    return detail_of(approval_changes.month_detail(session, room_id, month)), "events"


def _with_changes(checks: list[Check] | None, changes: ChangesSinceApproval | None) -> list[Check] | None:
    """Add the records changed after approval to the checks (informational: it never blocks)."""
    if checks is None or changes is None:
        return checks
    items = tuple(CheckItem(r.kind, r.record_id, r.occurred_at) for r in changes.records[:SHOWN])
    return [*checks, Check(approval_changes.CHECK_CODE, False, len(changes.records), items)]


def _refused(room: Room, month: dt.date, today: dt.date) -> str | None:
    """Say (translated) why the month can never be approved, if it cannot."""
    refused = refusal(room, month, today)
    return None if refused is None else message(refused)
