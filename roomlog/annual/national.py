"""The national annual report to the ministry and the workbook sheets both annual reports share."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.annual.content import Content, build_content
from roomlog.models import Municipality, Room
from roomlog.reporting.exports import definitions_version, generated_at, suppression_note
from roomlog.reporting.publication import NATIONAL, Unit, reader_rooms
from roomlog.reporting.tidy import NATION_NAME, municipality_total

NATION = NATION_NAME[0]


@dataclass(frozen=True)
class NationalReport:
    """The national annual report: every municipality, its rooms and the nation."""

    year: int
    content: Content
    rooms: tuple[Room, ...]
    municipalities: tuple[Municipality, ...]
    threshold: int
    definitions_version: str
    generated_at: str

    @property
    def note(self) -> str:
        return suppression_note(self.threshold)


def units_of(rooms: tuple[Room, ...], municipality: Municipality) -> list[tuple[Unit, str, str, list[Room]]]:
    """The rooms of one municipality and its total, as report units."""
    mine = [r for r in rooms if r.municipality_code == municipality.code]
    out: list[tuple[Unit, str, str, list[Room]]] = [(("room", str(r.id)), r.name, "room", [r]) for r in mine]
    out.append(
        (
            ("municipality", municipality.code),
            municipality_total(municipality.official_name, english=False),
            "municipality",
            mine,
        )
    )
    return out


def build_national(session: Session, year: int, *, threshold: int) -> NationalReport:
    """Assemble the national report from the stored publication."""
    rooms = tuple(session.scalars(select(Room).order_by(Room.municipality_code, Room.name, Room.id)))
    codes = sorted({r.municipality_code for r in rooms})
    municipalities = tuple(m for m in (session.get(Municipality, c) for c in codes) if m is not None)
    units: list[tuple[Unit, str, str, list[Room]]] = [(NATIONAL, NATION, "national", list(rooms))]
    for municipality in municipalities:
        units += units_of(rooms, municipality)
    content = build_content(session, year, reader_rooms(session), units, threshold)
    return NationalReport(year, content, rooms, municipalities, threshold, definitions_version(), generated_at())
