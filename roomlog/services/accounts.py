"""Create and change user accounts; every change is audited."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from roomlog.messages import N_
from roomlog.models import LoginSession, Municipality, Room, User
from roomlog.models.base import utcnow
from roomlog.models.codes import ROOM_ROLES, Language, Role
from roomlog.services import JOINED, DomainError, audit
from roomlog.services.passwords import Params, hash_password, password_problems


def _context_words(username: str, rooms: Sequence[Room]) -> tuple[str, ...]:
    return (username, *(room.name for room in rooms))


def check_password(password: str, username: str, rooms: Sequence[Room] = ()) -> None:
    """Raise ``DomainError`` listing every rule a new password breaks."""
    problems = password_problems(password, _context_words(username, rooms))
    if problems:
        raise DomainError(JOINED, problems=tuple(problems))


def _check_scope(role: Role, rooms: Sequence[Room], municipality: Municipality | None) -> None:
    if role in ROOM_ROLES and not rooms:
        raise DomainError(N_("Staff and leads must belong to at least one room."))
    if role not in ROOM_ROLES and rooms:
        raise DomainError(N_("Only staff and leads belong to rooms."))
    if role == Role.MUNICIPALITY and municipality is None:
        raise DomainError(N_("A municipality user must belong to a municipality."))
    if role != Role.MUNICIPALITY and municipality is not None:
        raise DomainError(N_("Only municipality users belong to a municipality."))


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    rooms: Sequence[Room] = (),
    municipality: Municipality | None = None,
    language: Language = Language.DA,
    can_backdate: bool = False,
    actor: User | None = None,
    hashing: Params = None,
) -> User:
    """Create a user with a checked password (hashed with ``hashing``) and the rooms or municipality of their role."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() or not c.isprintable() for c in username):
        raise DomainError(N_("A username is 1–64 characters without spaces."))
    taken = session.scalar(select(func.count()).select_from(User).where(func.lower(User.username) == username.lower()))
    if taken:
        raise DomainError(N_("That username is taken."))
    _check_scope(role, rooms, municipality)
    check_password(password, username, rooms)
    user = User(
        username=username,
        password_hash=hash_password(password, hashing),
        role=role,
        rooms=list(rooms),
        municipality=municipality,
        language=language,
        can_backdate=can_backdate,
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.create",
        user_id=actor.id if actor else None,
        entity="user",
        entity_id=user.id,
        changes={
            "role": role,
            "rooms": [r.id for r in rooms],
            "municipality": municipality.code if municipality else None,
        },
    )
    return user


def update_user(
    session: Session,
    user: User,
    *,
    role: Role,
    rooms: Sequence[Room],
    municipality: Municipality | None,
    active: bool,
    can_backdate: bool,
    actor: User | None,
) -> None:
    """Change a user's role, scope and status; disabling ends their sessions and revokes their tokens."""
    _check_scope(role, rooms, municipality)
    before = {
        "role": user.role,
        "rooms": sorted(r.id for r in user.rooms),
        "active": user.active,
        "municipality": user.municipality_code,
        "can_backdate": user.can_backdate,
    }
    user.role, user.rooms, user.municipality = role, list(rooms), municipality
    user.active, user.can_backdate = active, can_backdate
    after = {
        "role": role,
        "rooms": sorted(r.id for r in rooms),
        "active": active,
        "municipality": municipality.code if municipality else None,
        "can_backdate": can_backdate,
    }
    session.flush()
    if not active:
        from roomlog.services.tokens import revoke_all_tokens

        end_all_sessions(session, user, "disabled")
        # Revoked, not merely refused while disabled: enabling the user again revives nothing.
        revoke_all_tokens(session, user, actor=actor)
    audit.record(
        session,
        "user.update",
        user_id=actor.id if actor else None,
        entity="user",
        entity_id=user.id,
        changes=audit.diff(before, after),
    )


def set_password(session: Session, user: User, password: str, *, actor: User | None, hashing: Params = None) -> None:
    """Set a new password (checked against the rules, hashed with ``hashing``) and end the user's other sessions."""
    check_password(password, user.username, user.rooms)
    user.password_hash = hash_password(password, hashing)
    user.password_changed_at = utcnow()
    session.flush()
    end_all_sessions(session, user, "password_changed")
    audit.record(session, "user.password", user_id=actor.id if actor else None, entity="user", entity_id=user.id)


def end_all_sessions(session: Session, user: User, reason: str) -> None:
    """End every open session of ``user`` (password change, account disabled, logout)."""
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )


def set_language(session: Session, user: User, language: Language) -> None:
    """Remember the user's interface language."""
    user.language = language
    session.flush()
