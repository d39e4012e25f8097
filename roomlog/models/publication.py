"""What has left the room: stored, protected publications of closed periods and their cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from roomlog.models.base import Base, intpk, utcnow


class Publication(Base):
    """One version of one published period (``2026-11``, ``2026-Q4``, ``2026``)."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("period", "version"),)

    id: Mapped[intpk]
    #: ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``.
    period: Mapped[str] = mapped_column(String(7), index=True)
    #: ``month``, ``quarter`` or ``year``.
    kind: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    threshold: Mapped[int] = mapped_column(Integer)
    revised: Mapped[bool] = mapped_column(Boolean, default=False)
    revision_note: Mapped[str | None] = mapped_column(String(200))
    #: What the month's values were read from (snapshot and history row ids), to notice a re-approval.
    source_mark: Mapped[str | None] = mapped_column(String(80))


class PublishedCell(Base):
    """One cell of a publication: ``value`` is what is shown (NULL when hidden or not known).

    A cell missing from a publication is a known zero (zeros are always shown) for a unit
    that was open in the period; rooms not yet open have no cells.
    """

    __tablename__ = "published_cells"
    __table_args__ = (
        UniqueConstraint("publication_id", "unit_kind", "unit_key", "indicator"),
        Index("ix_published_cells_indicator", "indicator", "publication_id"),
    )

    id: Mapped[intpk]
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    #: ``room``, ``municipality`` or ``national``.
    unit_kind: Mapped[str] = mapped_column(String(12))
    #: The room id, the municipality code, or ``""`` for the nation.
    unit_key: Mapped[str] = mapped_column(String(12))
    indicator: Mapped[str] = mapped_column(String(80))
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ``known``, ``unknown`` or ``not_applicable``.
    status: Mapped[str] = mapped_column(String(16), default="known")
    #: The exact value: a fixed input to later protection, never served.
    exact: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
