"""User accounts, room memberships, login sessions, recovery codes and API tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roomlog.models.base import Base, code_enum, intpk, utcnow
from roomlog.models.codes import ROOM_ROLES, Language, Role
from roomlog.models.organisation import Municipality, Room

room_memberships = Table(
    "room_memberships",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A person who logs in; staff and leads belong to rooms, municipality users to one kommune."""

    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(code_enum(Role))
    language: Mapped[Language] = mapped_column(code_enum(Language, 8), default=Language.DA)
    active: Mapped[bool] = mapped_column(default=True)
    #: May enter records dated before the current service day (leads always may).
    can_backdate: Mapped[bool] = mapped_column(default=False)
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime | None]
    #: Sealed with ROOMLOG_DATA_KEY (roomlog/auth/sealing.py), never the secret itself.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[dt.datetime | None]
    totp_last_counter: Mapped[int | None]

    rooms: Mapped[list[Room]] = relationship(secondary=room_memberships, order_by="Room.name")
    municipality: Mapped[Municipality | None] = relationship()

    # Flask-Login protocol, written out rather than inherited from UserMixin so that
    # ``is_active`` reflects the ``active`` column.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_room_user(self) -> bool:
        return self.role in ROOM_ROLES

    @property
    def may_backdate(self) -> bool:
        return self.role == Role.LEAD or self.can_backdate

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class LoginSession(Base):
    """A server-side login session; the cookie carries only a random token whose hash is here."""

    __tablename__ = "login_sessions"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    second_factor_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A one-time recovery code for the second factor, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[dt.datetime | None]


class ApiToken(Base):
    """A bearer token for the aggregate API; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class LoginThrottle(Base):
    """Consecutive failed log-ins counted under one key: a keyed hash, never the typed text or address.

    ``kind`` says what the key stands for: ``pair`` (an account from one address),
    ``account`` (an account from anywhere), ``address`` (all failures from one address),
    ``device`` (a browser that logged in to the account before) or ``second-factor``.
    """

    __tablename__ = "login_throttles"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: The account, when the typed username names one (shown to admins); never the typed text.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    failures: Mapped[int] = mapped_column(default=0)
    next_allowed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
