"""The one XLSX writer sizes its columns from the values it was given: the same file as reading every cell back."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from roomlog.reporting.exports import Sheet, workbook_bytes

SHEETS = [
    Sheet(
        "Data",
        ["Periode", "Værdi", "Rum-id", "Skjult", "Tom kolonne"],
        [
            ["2024-03", 12, "7", None, None],
            ["2024-Q1", 1.25, None, "..", ""],
            ["2023", Decimal("3.50"), "12345678901234567890", None],  # shorter than the header
            [],  # an empty row between rows
            ["x" * 80, -4, True, False, dt.date(2024, 3, 1)],  # wider than 60, booleans, a date
            ["=SUM(B2:B3)", 0, dt.datetime(2024, 3, 1, 12, 30), "ÆØÅ æøå", None, "beyond the header"],
        ],
        {"B": (float, "0.00")},
    ),
    Sheet("Metadata", ["felt", "værdi"], [("kilde", "roomlog"), ("genereret", "2026-12-03T23:00:00+00:00")]),
    Sheet("Tom", ["Kun en overskrift"]),
    Sheet("Uden rækker", []),
]


def _read_back(sheets: list[Sheet]) -> bytes:
    """The writer as it was: widths from every cell read back after the rows were written."""
    book = Workbook()
    book.remove(book.worksheets[0])
    for sheet in sheets:
        ws = book.create_sheet(sheet.title)
        ws.append(list(sheet.header))
        for values in sheet.rows:
            ws.append(list(values))
        for column, (kind, number_format) in sheet.formats.items():
            for cell in ws[column][1:]:
                if isinstance(cell.value, kind):
                    cell.number_format = number_format
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        for column in ws.iter_cols():
            width = max((len(str(c.value)) for c in column if c.value is not None), default=0)
            ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    """Every part of the file but its creation and modification time (``docProps/core.xml``)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def test_widths_from_the_given_values_write_the_same_file_as_reading_the_cells_back() -> None:
    written = _parts(workbook_bytes(SHEETS))
    assert written == _parts(_read_back(SHEETS))
    sheet = written["xl/worksheets/sheet1.xml"].decode()
    assert '<col width="60" customWidth="1" min="1" max="1" />' in sheet  # capped at 60
    assert '<col width="19" customWidth="1" min="6" max="6" />' in sheet  # a column only one row reaches
