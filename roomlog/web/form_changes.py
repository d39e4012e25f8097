"""One change made from a form, committed or refused: the ending the admin, permit and approval views share.

The service validates, flushes and audits; the view commits once. A domain error rolls the change back and
shows its message on the field it concerns, so the page is shown again with the form as it was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash
from wtforms import Field

from roomlog.extensions import db
from roomlog.i18n import message
from roomlog.services import DomainError

T = TypeVar("T")


def commit_or_show(field: Field, change: Callable[[], T], saved: Callable[[T], str]) -> bool:
    """Run ``change`` and commit it, flashing ``saved(result)``; on a domain error roll back, show it on ``field``.

    Return whether the change was committed (the view then redirects; otherwise it shows the form again).
    """
    try:
        result = change()
    except DomainError as exc:
        db.session.rollback()
        field.errors = [message(exc)]
        return False
    db.session.commit()
    flash(saved(result), "info")
    return True
