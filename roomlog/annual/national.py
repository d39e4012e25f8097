"""The national annual report to the ministry and the workbook sheets both annual reports share."""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.annual.content import Content, build_content
from roomlog.models import Municipality, Room
from roomlog.reporting.exports import definitions_version, generated_at, suppression_note
from roomlog.reporting.publication import NATIONAL, Cell, Unit, reader_rooms

NATION = "Hele landet"


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
    out.append((("municipality", municipality.code), f"{municipality.official_name} i alt", "municipality", mine))
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


def _number(cell: Cell) -> object:
    if cell.suppressed:
        return ".."
    return None if cell.value is None else (float(cell.value) if not isinstance(cell.value, int) else cell.value)


def data_sheet(sheet: Worksheet, content: Content) -> None:
    """One row per unit and indicator: the year, last year, change and since opening."""
    sheet.append(
        [
            "Enhed",
            "Niveau",
            "Indikator",
            "Kode",
            content.covered,
            f"Samme periode {content.year - 1}",
            "Ændring (%)",
            f"Siden åbning ({content.coverage})",
            "Siden åbning dækker fra",
        ]
    )
    kinds = {"room": "rum", "municipality": "kommune", "national": "land"}
    for block in content.blocks:
        for line in block.lines:
            change = None if line.change is None else float(line.change)
            row = [block.title, kinds[block.kind], line.label, line.code, _number(line.now), _number(line.before)]
            sheet.append([*row, change, _number(line.since), line.since.coverage])
        sheet.append([block.title, kinds[block.kind], "pladser til injektion", "places.injection",
                      block.places_injection, None, None, None])  # fmt: skip
        sheet.append([block.title, kinds[block.kind], "pladser til rygning", "places.smoking",
                      block.places_smoking, None, None, None])  # fmt: skip


def definitions_sheet(sheet: Worksheet, content: Content, note: str) -> None:
    """Every indicator shown with its definition, then the disclosure note."""
    sheet.append(["Kode", "Indikator", "Definition"])
    for i in content.indicators:
        sheet.append([i.code, i.label_da, i.definition_da])
    sheet.append(["places.injection", "pladser til injektion", "Antal injektionspladser i rummet (rumregistret)."])
    sheet.append(["places.smoking", "pladser til rygning", "Antal rygepladser i rummet (rumregistret)."])
    sheet.append([])
    sheet.append(["..", "diskretioneret", note])


def metadata_rows(content: Content, threshold: int, version: str, made: str) -> list[tuple[str, str]]:
    """The metadata both workbooks carry."""
    missing = ", ".join(m.strftime("%Y-%m") for m in content.missing) or "ingen"
    return [
        ("Periode", content.covered),
        ("Året er afsluttet", "nej" if content.unfinished else "ja"),
        ("Måneder ikke offentliggjort endnu", missing),
        ("Sammenlignet med", content.last_year.label),
        ("Siden åbning", f"{content.since.label} ({content.coverage})"),
        ("Definitioner", version),
        ("Dannet", made),
        ("Diskretioneringsgrænse", str(threshold)),
        ("Skjulte tal", str(len(content.hidden()))),
    ]


def national_xlsx(report: NationalReport) -> bytes:
    """The national report as a workbook: Data, Definitioner, Metadata."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Data"
    data_sheet(sheet, report.content)
    definitions_sheet(book.create_sheet("Definitioner"), report.content, report.note)
    meta = book.create_sheet("Metadata")
    meta.append(["Felt", "Værdi"])
    meta.append(["Rapport", f"Årsafrapportering {report.year}, {NATION}"])
    for row in metadata_rows(report.content, report.threshold, report.definitions_version, report.generated_at):
        meta.append(list(row))
    meta.append(["Note", report.note])
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
