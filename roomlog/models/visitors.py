"""Visitors, known only by a keyed pseudonym of their visitor code."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from roomlog.models.base import Base, code_enum, intpk, utcnow
from roomlog.models.codes import Nationality, Sex


class Visitor(Base):
    """A returning visitor: HMAC pseudonym, check word, birth year, sex, nationality group.

    There is deliberately no column that could hold a name, a birth date or the raw code.
    """

    __tablename__ = "visitors"

    id: Mapped[intpk]
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    check_word: Mapped[str] = mapped_column(String(32))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[Sex] = mapped_column(code_enum(Sex, 8), default=Sex.U)
    nationality: Mapped[Nationality] = mapped_column(code_enum(Nationality, 8), default=Nationality.U)
    first_registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    home_room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), index=True)
