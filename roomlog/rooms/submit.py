"""Run a capture write once per idempotency key and commit it (the request boundary)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any, TypeVar

from flask import abort, g, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from roomlog.database import commit_keeping_loaded, end_read_phase
from roomlog.extensions import db
from roomlog.messages import N_
from roomlog.models import Room, RoomEvent, Visit
from roomlog.row_security import write_commits
from roomlog.services import Conflict, DomainError, NotAllowed
from roomlog.services.idempotency import checked_key, replay, request_hash

E = TypeVar("E", bound=RoomEvent)
F = TypeVar("F", bound=Callable[..., Any])

#: Form fields that are not part of what a submission means.
NOT_PAYLOAD = frozenset(
    {
        "csrf_token",
        "idempotency_key",
        "outbox_user",
        "outbox_user_name",
        "outbox_room_name",
        "outbox_label",
        "tapped_at",
    }
)


def form_key() -> str:
    """Return the submitted idempotency key (400 with a clear message when missing)."""
    return checked_key(request.form.get("idempotency_key"))


def form_payload(**extra: Any) -> dict[str, Any]:
    """Return the submitted fields that make up the request's meaning, plus ``extra``."""
    payload: dict[str, Any] = {name: request.form.getlist(name) for name in request.form if name not in NOT_PAYLOAD}
    payload.update(extra)
    return payload


def check_outbox_user() -> None:
    """Refuse an entry queued on the tablet by another user than the one logged in now (403)."""
    owner = request.form.get("outbox_user")
    if owner and owner != str(current_user.id):
        raise NotAllowed(
            N_("This entry was made by another user on this tablet. It was not saved and is kept for them.")
        )


def writes_late(view: F) -> F:
    """Mark a capture view that only reads before ``save_once``: its idempotency check runs before the write lock.

    Only for views whose reads before ``save_once`` decide nothing the write depends on
    (everything checked against the database happens in ``create``, under the lock).
    """
    view.writes_late = True  # type: ignore[attr-defined]  # a mark on the function object, read by database.end_read_phase
    return view


def save_once(
    model: type[E], key: str, payload: Mapping[str, Any], create: Callable[[str], E], *, insert_first: bool = False
) -> E:
    """Return the record made earlier with ``key``, or call ``create(hash)`` and commit.

    Two identical submissions racing each other both try to insert; the unique key lets one
    win, and the loser rolls back and returns the winner's record.

    With ``insert_first`` (a ``create`` that writes the record last and refuses nothing after
    writing it) the key is not looked up first: a new key, the usual case, costs no look-up, and a key used
    before breaks the unique key, so the insert is rolled back and the earlier record returned
    (or refused, if it was sent with other content), as when two submissions race. A submission
    sent again whose ``create`` now refuses it (say, its month was approved since) gets the
    earlier record, as if it had been looked up first. ``create``'s write must be its last
    statement: it may commit itself (:func:`roomlog.row_security.write_commits`), saving the
    ``COMMIT`` round trip.
    """
    check_outbox_user()
    digest = request_hash(payload)
    scope = g.get("scope_room_ids")
    if not insert_first:
        existing = replay(db.session, model, key, digest, scope)  # before the write lock in a ``writes_late`` view
        if existing is not None:
            return existing
    end_read_phase(in_view=True)
    for _attempt in range(2):
        refused: DomainError | None = None
        try:
            with write_commits() if insert_first else nullcontext():
                row = create(digest)
            commit_keeping_loaded(db.session())  # the redirect needs ids only: read nothing again
            return row
        except IntegrityError:
            pass  # the key was used before, or a twin submission won the race: answer with its record
        except DomainError as exc:
            if not insert_first:
                raise
            refused = exc  # unless the key was used before: then its record is the answer
        db.session.rollback()
        existing = replay(db.session, model, key, digest, scope)
        if existing is not None:
            return existing
        if refused is not None:
            raise refused
    raise Conflict(N_("The record could not be saved because of a conflicting entry. Try again."))


def visit_in_room(room: Room, visit_id: int) -> Visit:
    """Return a visit of the room, else 404."""
    visit = db.session.scalar(select(Visit).where(Visit.id == visit_id, Visit.room_id == room.id))
    if visit is None:
        abort(404)
    return visit


def record_in_room(model: type[E], room: Room, record_id: int) -> E:
    """Return a record of the room, else 404."""
    row = db.session.scalar(select(model).where(model.id == record_id, model.room_id == room.id))
    if row is None:
        abort(404)
    return row
