"""Build the annual report of one municipality and year from the protected year table. Pure apart from reading."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.annual.content import Content, build_content
from roomlog.annual.national import data_sheet, metadata_rows, units_of
from roomlog.models import Municipality, Room
from roomlog.reporting.exports import definitions_version, generated_at, suppression_note
from roomlog.reporting.indicators import BY_CODE, Indicator
from roomlog.reporting.overview import HEADLINE
from roomlog.reporting.publication import Cell, Table, reader_rooms, table
from roomlog.reporting.publication.status import month_states
from roomlog.reporting.windows import year_window

STATE_DA = {
    "open": "afventer godkendelse",
    "approved": "godkendt",
    "accepted": "accepteret",
    "locked": "låst",
    "history": "historik (godkendt)",
    "none": "",
}


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


def xlsx(report: AnnualReport) -> bytes:
    """The annual report as a workbook: Indikatorer, Rum, Måneder, Definitioner, Metadata."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Indikatorer"
    sheet.append(["Indikator", "Kode", *(r.name for r in report.rooms), f"{report.municipality.official_name} i alt"])
    for indicator, cells in report.rows:
        values = [
            ".."
            if c.suppressed
            else (float(c.value) if c.indicator.endswith("per_1000_consumptions") and c.value is not None else c.value)
            for c in cells
        ]
        sheet.append([indicator.label_da, indicator.code, *values])
    sheet.append([])
    sheet.append([report.note])
    facts = book.create_sheet("Rum")
    facts.append(
        [
            "Rum",
            "Driftsherre",
            "Driftsform",
            "Model",
            "Injektionspladser",
            "Rygepladser",
            "Åbningstider",
            "Tilladelse",
            "Tilladelsesdato",
            "Åbnet",
        ]
    )
    for r in report.rooms:
        facts.append(
            [
                r.name,
                r.operator_name,
                r.operator_type.label_da,
                r.model.label_da,
                r.places_injection,
                r.places_smoking,
                r.opening_hours,
                r.permit_status.label_da,
                r.permit_date,
                r.opened_on,
            ]
        )
    months = book.create_sheet("Måneder")
    months.append(["Rum", *(m.strftime("%Y-%m") for m in report.months)])
    for r in report.rooms:
        months.append([r.name, *(STATE_DA.get(s, s) for s in report.states[r.id])])
    data_sheet(book.create_sheet("Data", 1), report.content)
    definitions = book.create_sheet("Definitioner")
    definitions.append(["Kode", "Indikator", "Definition"])
    shown = {i.code for i in report.indicators}
    for i in (*report.indicators, *(i for i in report.content.indicators if i.code not in shown)):
        definitions.append([i.code, i.label_da, i.definition_da])
    meta = book.create_sheet("Metadata")
    for key, value in (
        ("Kommune", f"{report.municipality.official_name} ({report.municipality.code})"),
        ("Periode", str(report.year)),
        ("Definitioner", report.definitions_version),
        ("Dannet", report.generated_at),
        ("Diskretioneringsgrænse", str(report.threshold)),
        ("Note", report.note),
        *metadata_rows(report.content, report.threshold, report.definitions_version, report.generated_at),
    ):
        meta.append([key, value])
    meta.append([])
    meta.append(["Offentliggjort", "ja" if report.published else "nej"])
    meta.append(["Revideret", "ja" if report.revised else "nej"])
    meta.append([])
    meta.append(["Skjulte celler", "Rum", "Indikator"])
    for c in report.hidden():
        meta.append(["", c.room or "i alt", c.indicator])
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
