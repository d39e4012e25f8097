"""The one XLSX writer sizes its columns from the values it was given: the same file as reading every cell back."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl.worksheet.worksheet import Worksheet

from roomlog.reporting import exports
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


def _read_back(ws: Worksheet, sheet: Sheet) -> list[int]:
    """The widths as the writer found them before: every cell read back after the rows were written."""
    return [max((len(str(c.value)) for c in column if c.value is not None), default=0) for column in ws.iter_cols()]


def _parts(data: bytes) -> dict[str, bytes]:
    """Every part of the file but its creation and modification time (``docProps/core.xml``)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


def test_widths_from_the_given_values_write_the_same_file_as_reading_the_cells_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = _parts(workbook_bytes(SHEETS))
    monkeypatch.setattr(exports, "_longest", _read_back)
    assert written == _parts(workbook_bytes(SHEETS))
    sheet = written["xl/worksheets/sheet1.xml"].decode()
    assert '<col width="60" customWidth="1" min="1" max="1" />' in sheet  # capped at 60
    assert '<col width="19" customWidth="1" min="6" max="6" />' in sheet  # a column only one row reaches
