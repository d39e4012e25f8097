"""Build the annual report of one municipality and year from the protected year table. Pure apart from reading."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.annual.content import Content, build_content
from roomlog.annual.national import units_of
from roomlog.models import Municipality, Room
from roomlog.reporting.exports import definitions_version, generated_at, suppression_note
from roomlog.reporting.indicators import BY_CODE, Indicator
from roomlog.reporting.overview import HEADLINE
from roomlog.reporting.publication import Cell, Table, reader_rooms, table
from roomlog.reporting.publication.status import month_states
from roomlog.reporting.windows import year_window


@dataclass(frozen=True)
class AnnualReport:
    """Everything the print page, the PDF and the workbook show."""

    municipality: Municipality
    year: int
    rooms: tuple[Room, ...]
    indicators: tuple[Indicator, ...]
    #: One row per indicator: the cells of each room, then the municipality total.
    rows: tuple[tuple[Indicator, tuple[Cell, ...]], ...]
    months: tuple[dt.date, ...]
    #: ``states[room_id][i]`` is the state of month ``i``.
    states: dict[int, tuple[str, ...]]
    table: Table
    definitions_version: str
    generated_at: str
    #: The figures per room and the municipality total with last year and since opening.
    content: Content

    @property
    def threshold(self) -> int:
        return self.table.threshold

    @property
    def published(self) -> bool:
        return self.table.published

    @property
    def revised(self) -> bool:
        return self.table.revised

    @property
    def note(self) -> str:
        return suppression_note(self.threshold)

    def hidden(self) -> list[Cell]:
        """The suppressed cells of the report (never why)."""
        return [cell for _, cells in self.rows for cell in cells if cell.suppressed]


def build(
    session: Session, municipality: Municipality, year: int, *, threshold: int, lock_after_days: int
) -> AnnualReport:
    """Assemble the annual report from the stored year (rooms and total, facts, months, metadata)."""
    window = year_window(year)
    infos = reader_rooms(session)
    stored = table(session, window, infos, threshold, HEADLINE)
    rooms = tuple(session.scalars(select(Room).where(Room.municipality_code == municipality.code).order_by(Room.name)))
    units = [("room", str(r.id)) for r in rooms] + [("municipality", municipality.code)]
    indicators = tuple(BY_CODE[c] for c in HEADLINE)
    rows = tuple((i, tuple(stored.cell(u, i.code) for u in units)) for i in indicators) if rooms else ()
    states: dict[int, list[str]] = {r.id: [] for r in rooms}
    mine = [r for r in infos if r.municipality_code == municipality.code]
    for room_id, _month, state in month_states(session, window, mine, lock_after_days, every_month=True):
        states[room_id].append(state)
    return AnnualReport(
        municipality,
        year,
        rooms,
        indicators,
        rows,
        window.period.months,
        {k: tuple(v) for k, v in states.items()},
        stored,
        definitions_version(),
        generated_at(),
        build_content(session, year, infos, units_of(rooms, municipality), threshold),
    )
