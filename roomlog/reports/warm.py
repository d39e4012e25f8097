"""Warm a worker for the monthly summary: compile its SQL, templates and PDF renderer, read no room's data.

A fresh worker's first summary otherwise compiles some forty SQL statements, five templates and
the PDF stylesheet, and WeasyPrint loads its fonts. :func:`warm_summary` builds and renders the
page of a room that does not exist (never added to the session, so nothing is written and every
query finds nothing): each statement the real page runs is compiled into SQLAlchemy's cache.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from roomlog.calendar import add_months, month_start, today_local
from roomlog.models import Municipality, Room, User
from roomlog.models.base import utcnow
from roomlog.reporting import compute, periods
from roomlog.reports import page
from roomlog.reports.views import pdf_html, summary_html
from roomlog.services import approval_changes
from roomlog.web.pdf import render_pdf

#: No room or user has this id: every query of the warm-up finds nothing.
NO_ROOM = NO_USER = 0


def _nowhere() -> Room:
    """A room that exists only in memory."""
    return Room(id=NO_ROOM, name="–", municipality_code="000", municipality=Municipality(code="000", name="–"))


def warm_summary(session: Session, *, with_pdf: bool = True) -> None:
    """Run the summary's queries, render its page and (``with_pdf``) its PDF for a room that is not there."""
    room = _nowhere()
    month = add_months(month_start(today_local()), -1)  # a finished month: the checks run too
    data = page.build(session, room, month, with_checks=True)
    # A closed month also compares its snapshot with a recount and reads the audit log.
    compute(session, [room.id], periods.month(month), live=True)
    approval_changes.record_changes(session, room, month, utcnow() - dt.timedelta(days=1))
    approval_changes.stored_detail(session, room.id, month)
    session.get(User, NO_USER)  # who approved and accepted: a user by id
    summary_html(data, can_approve=True)
    printed = pdf_html(page.build(session, room, month, with_checks=False, with_changes=False))
    if with_pdf:
        render_pdf(printed)
