"""The one writer of every download: the tidy long format as CSV (two dialects) or XLSX, and the footnote."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from roomlog.reporting.indicators import BY_CODE
from roomlog.reporting.suppression import SYMBOL
from roomlog.reporting.tidy import LEVELS, PERIOD_KINDS, ROLES, Figure, Meaning, name, state, used_meanings

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Dialect:
    """How a file is written: Danish (``;``, decimal comma, BOM, Danish headers) or international."""

    name: str
    delimiter: str
    decimal: str
    bom: bool

    @property
    def english(self) -> bool:
        return self.name == "international"


DANISH = Dialect("danish", ";", ",", True)
INTERNATIONAL = Dialect("international", ",", ".", False)
DIALECTS = {"danish": DANISH, "international": INTERNATIONAL}


def dialect(text: str | None) -> Dialect:
    """``dialect=`` of a download URL (Danish when absent); :class:`ValueError` with a Danish message."""
    found = DIALECTS.get(text or "danish")
    if found is None:
        raise ValueError("dialect skal være danish eller international.")
    return found


#: ``(key, Danish header, English header, Table Schema type)``; ``string`` columns are quoted in CSV.
COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("period_kind", "Periodetype", "period_kind", "string"),
    ("first_month", "Første måned", "first_month", "yearmonth"),
    ("last_month", "Sidste måned", "last_month", "yearmonth"),
    ("role", "Rolle", "role", "string"),
    ("level", "Niveau", "level", "string"),
    ("municipality_code", "Kommunekode", "municipality_code", "string"),
    ("name", "Navn", "name", "string"),
    ("room_id", "Rum-id", "room_id", "string"),
    ("indicator", "Indikator", "indicator", "string"),
    ("label", "Indikatornavn", "label", "string"),
    ("unit", "Enhed", "unit", "string"),
    ("value", "Værdi", "value", "number"),
    ("hidden", "Skjult", "hidden", "string"),
    ("state", "Status", "state", "string"),
)


def headers(d: Dialect) -> list[str]:
    """The column headers in the dialect's language."""
    return [c[2] if d.english else c[1] for c in COLUMNS]


def suppression_note(threshold: int) -> str:
    """The footnote every output carries (Danish)."""
    return (
        f"{SYMBOL} = diskretioneret. Antal fra 1 til {threshold - 1} vises ikke, og yderligere celler er "
        "skjult, så de ikke kan regnes ud fra række-, kolonne-, periode- eller totalsummer; rater skjules "
        "sammen med deres tæller eller nævner. Nuller vises. Kun lukkede måneder offentliggøres."
    )


def number(value: int | Decimal | None) -> int | float | None:
    """A value as a spreadsheet number (rates as floats)."""
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else int(value)


def row(f: Figure, d: Dialect) -> list[object]:
    """One figure's fields in column order (``None`` for empty)."""
    e = int(d.english)
    return [
        PERIOD_KINDS[f.period_kind][e],
        f.first_month,
        f.last_month,
        ROLES[f.role][e],
        LEVELS[f.level][e],
        f.municipality_code,
        name(f, d.english),
        None if f.room_id is None else str(f.room_id),
        f.meaning.code,
        f.meaning.label(d.english),
        f.unit_text(d.english),
        number(f.value),
        SYMBOL if f.hidden else None,
        state(f, d.english),
    ]


def _field(value: object, kind: str, d: Dialect) -> str:
    if value is None:
        return ""
    if kind == "number":
        return str(value).replace(".", d.decimal)
    if kind == "string":
        return '"' + str(value).replace('"', '""') + '"'
    return str(value)


def csv_bytes(rows: Sequence[Figure], d: Dialect = DANISH) -> bytes:
    """The long format as CSV: text quoted, empty for no value, CRLF lines (BOM in the Danish dialect)."""
    kinds = [c[3] for c in COLUMNS]
    lines = [d.delimiter.join(_field(h, "string", d) for h in headers(d))]
    for f in rows:
        lines.append(d.delimiter.join(_field(v, k, d) for v, k in zip(row(f, d), kinds, strict=True)))
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" if d.bom else "").encode("utf-8") + text.encode("utf-8")


@dataclass(frozen=True)
class Sheet:
    """An extra sheet of a workbook (the annual report's rooms and months)."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[object]] = field(default_factory=tuple)


def _table(ws: Worksheet, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Header row and rows, formatted by :func:`format_table`; nothing below the data."""
    ws.append(list(header))
    for values in rows:
        ws.append(list(values))
    format_table(ws)


def format_table(ws: Worksheet) -> None:
    """A sheet as a spreadsheet user expects: bold frozen header, autofilter, widths that fit the values."""
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for column in ws.iter_cols():
        width = max((len(str(c.value)) for c in column if c.value is not None), default=0)
        letter = column[0].column_letter  # type: ignore[union-attr]  # row 1 is the header: never a MergedCell
        ws.column_dimensions[letter].width = min(max(width + 2, 8), 60)


def xlsx_bytes(
    rows: Sequence[Figure],
    metadata: Sequence[tuple[str, str]],
    d: Dialect = DANISH,
    extra: Sequence[Sheet] = (),
) -> bytes:
    """A workbook: *Data* (the long format), extra sheets, *Definitioner* and *Metadata*, each a clean table."""
    book = Workbook()
    data = cast(Worksheet, book.active)  # a new Workbook opens on its one Worksheet
    data.title = "Data"
    _table(data, headers(d), [row(f, d) for f in rows])
    value_col = get_column_letter(1 + [c[0] for c in COLUMNS].index("value"))
    for cell in data[value_col][1:]:
        if isinstance(cell.value, float):
            cell.number_format = "0.00"
    for sheet in extra:
        _table(book.create_sheet(sheet.title), sheet.header, sheet.rows)
    _table(
        book.create_sheet("Definitions" if d.english else "Definitioner"),
        ["code", "label", "unit", "definition"] if d.english else ["Kode", "Indikatornavn", "Enhed", "Definition"],
        definition_rows(used_meanings(rows), d),
    )
    _table(book.create_sheet("Metadata"), ["field", "value"] if d.english else ["Felt", "Værdi"], list(metadata))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def definition_rows(meanings: Sequence[Meaning], d: Dialect) -> list[list[object]]:
    """Code, unique label, unit and definition of every indicator shown."""
    return [
        [m.code, m.label(d.english), m.unit_text(d.english), m.definition_en if d.english else m.definition_da]
        for m in meanings
    ]


def metadata(
    d: Dialect, *, period: str, threshold: int, version: str, generated: str, notes: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """The metadata rows every workbook carries (source, period, generated at, version, k, dialect)."""
    e = d.english
    return [
        ("source" if e else "Kilde", "roomlog: " + ("the stored publication" if e else "den gemte offentliggørelse")),
        ("period" if e else "Periode", period),
        ("generated_at" if e else "Dannet", generated),
        ("publication_version" if e else "Publikationsversion", version),
        ("definitions_version" if e else "Definitionsversion", definitions_version()),
        ("threshold_k" if e else "Diskretioneringsgrænse (k)", str(threshold)),
        ("dialect" if e else "Dialekt", d.name),
        *notes,
        ("note" if e else "Note", suppression_note(threshold)),
    ]


def generated_at() -> str:
    """Now, as an ISO timestamp in UTC."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def definitions_version() -> str:
    """A fingerprint of every indicator definition: it changes whenever a definition does."""
    text = "\n".join(f"{i.code}|{i.kind.value}|{i.definition_da}|{i.definition_en}" for i in BY_CODE.values())
    return "def-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
