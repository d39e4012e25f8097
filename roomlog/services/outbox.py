"""Entries another user left in a tablet's offline outbox: a lead's decision to discard one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.messages import N_
from roomlog.models import AuditEntry, Room, User, room_memberships
from roomlog.services import DomainError, NotAllowed, audit
from roomlog.services.idempotency import checked_key

#: Longest kind label and reason kept in the audit log.
MAX_KIND = 120
MAX_REASON = 500


def record_discard(
    session: Session,
    room: Room,
    lead: User,
    *,
    owner_id: str,
    key: str,
    kind: str,
    tapped_at: str,
    reason: str,
) -> AuditEntry | None:
    """Record in the audit log that ``lead`` discarded an entry ``owner_id`` queued offline in ``room``.

    The entry itself never reached the server: what is kept is who made it, what kind it was,
    when it was tapped, its idempotency key, who discarded it and why. A repeat with the same
    key (the answer was lost on the way back) records nothing new and returns ``None``.
    """
    key = checked_key(key)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(N_("Give a reason for discarding the entry."))
    if len(reason) > MAX_REASON:
        raise DomainError(N_("The reason is too long (at most %(n)s characters)."), n=MAX_REASON)
    try:
        when = dt.datetime.fromisoformat(tapped_at.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise DomainError(N_("A value is not valid. Check the form.")) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    owner = session.get(User, int(owner_id)) if str(owner_id).isdigit() else None
    member = owner is not None and session.scalar(
        select(room_memberships.c.user_id).where(
            room_memberships.c.user_id == owner.id, room_memberships.c.room_id == room.id
        )
    )
    if owner is None or not member or owner.id == lead.id:
        raise NotAllowed(N_("The entry does not belong to another user of this room."))
    if _already_discarded(session, room, key):
        return None
    return audit.record(
        session,
        "outbox.discard",
        user_id=lead.id,
        room_id=room.id,
        entity="outbox_entry",
        changes={
            "owner_user_id": owner.id,
            "kind": kind.strip()[:MAX_KIND],
            "tapped_at": when.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "idempotency_key": key,
        },
        reason=reason,
    )


def _already_discarded(session: Session, room: Room, key: str) -> bool:
    stmt = select(AuditEntry.changes).where(
        AuditEntry.action == "outbox.discard", AuditEntry.room_id == room.id, AuditEntry.entity == "outbox_entry"
    )
    return any(isinstance(c, dict) and c.get("idempotency_key") == key for c in session.scalars(stmt))
