"""Recognise database failures that deserve their own answer: a locked month, a full disk."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError

#: SQLSTATE raised by the PostgreSQL month-lock trigger (see the reliability migration).
MONTH_LOCKED_SQLSTATE = "RLK01"
#: SQLSTATE raised by the PostgreSQL audit-log trigger.
APPEND_ONLY_SQLSTATE = "RLK02"
_DISK_FULL_SQLSTATES = frozenset({"53100"})
_DISK_FULL_TEXT = ("database or disk is full", "no space left on device", "file too large", "disk i/o error")


def sqlstate(exc: DBAPIError) -> str | None:
    """Return the SQLSTATE of a PostgreSQL error (``None`` for other databases)."""
    return getattr(exc.orig, "sqlstate", None)


def is_month_locked(exc: DBAPIError) -> bool:
    """Return whether the database refused a change dated in a locked month."""
    return sqlstate(exc) == MONTH_LOCKED_SQLSTATE


def is_disk_full(exc: DBAPIError) -> bool:
    """Return whether the database could not write because its disk (or file size limit) is full."""
    if sqlstate(exc) in _DISK_FULL_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return any(fragment in text for fragment in _DISK_FULL_TEXT)


def month_locked_message() -> str:
    """Return the message shown when the database refuses a change in a locked month."""
    return _("That month is locked. A lead must reopen the month (with a reason) before it can change.")


def disk_full_message() -> str:
    """Return the message shown when the database's disk is full."""
    return _(
        "roomlog could not write to its database: the server's disk is full or failing. "
        "Nothing was saved. Tell your administrator, then try again."
    )
