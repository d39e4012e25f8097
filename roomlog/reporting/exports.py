"""The one writer of every download: the tidy long format as CSV (two dialects) or XLSX, and the footnote."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet.worksheet import Worksheet

from roomlog.messages import C_, N_, both, pick, translate
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
        raise ValueError(translate("da", N_("dialect must be danish or international.")))
    return found


#: ``(key, Danish header, English header, Table Schema type)``; ``string`` columns are quoted in CSV.
COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("period_kind", *both(C_("download column", "period_kind")), "string"),
    ("first_month", *both(C_("download column", "first_month")), "yearmonth"),
    ("last_month", *both(C_("download column", "last_month")), "yearmonth"),
    ("role", *both(C_("download column", "role")), "string"),
    ("level", *both(C_("download column", "level")), "string"),
    ("municipality_code", *both(C_("download column", "municipality_code")), "string"),
    ("name", *both(C_("download column", "name")), "string"),
    ("room_id", *both(C_("download column", "room_id")), "string"),
    ("indicator", *both(C_("download column", "indicator")), "string"),
    ("label", *both(C_("download column", "label")), "string"),
    ("unit", *both(C_("download column", "unit")), "string"),
    ("value", *both(C_("download column", "value")), "number"),
    ("hidden", *both(C_("download column", "hidden")), "string"),
    ("state", *both(C_("download column", "state")), "string"),
)


def headers(d: Dialect) -> list[str]:
    """The column headers in the dialect's language."""
    return [c[2] if d.english else c[1] for c in COLUMNS]


def suppression_note(threshold: int) -> str:
    """The footnote every output carries (Danish)."""
    return translate("da", SUPPRESSION_NOTE) % {"symbol": SYMBOL, "below": threshold - 1}


SUPPRESSION_NOTE = N_(
    "%(symbol)s = suppressed. Counts from 1 to %(below)s are not shown, and further cells are hidden so that "
    "they cannot be worked out from row, column, period or total sums; rates are hidden together with their "
    "numerator or denominator. Zeros are shown. Only closed months are published."
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
    """One sheet of a workbook: a header row, the rows, and number formats by column."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[object]] = field(default_factory=tuple)
    #: ``{column letter: (type, number format)}``: the format of that column's values of that type.
    formats: Mapping[str, tuple[type, str]] = field(default_factory=dict)


def _append(ws: Worksheet, number: int, values: Sequence[object]) -> None:
    """Write ``values`` as row ``number`` (the next one) of ``ws``: stored text (a room's name, a reason) is text.

    openpyxl makes a text that starts with ``=`` a formula; here it stays the text it is. A control character a
    cell cannot hold is shown as U+FFFD instead of failing the download (the row is written again in place, so
    the usual row costs nothing more).
    """
    row = list(values)
    try:
        ws.append(row)
    except IllegalCharacterError:
        row = [ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v for v in row]
        ws.append(row)
    for column, value in enumerate(row, start=1):
        if isinstance(value, str) and value.startswith("="):
            ws.cell(number, column).data_type = "s"


def _table(ws: Worksheet, sheet: Sheet) -> None:
    """Header row and rows, number formats, formatted by :func:`format_table`; nothing below the data."""
    _append(ws, 1, sheet.header)
    for number, values in enumerate(sheet.rows, start=2):
        _append(ws, number, values)
    for column, (kind, number_format) in sheet.formats.items():
        for cell in ws[column][1:]:
            if isinstance(cell.value, kind):
                cell.number_format = number_format
    format_table(ws, _longest(ws, sheet))


def _longest(ws: Worksheet, sheet: Sheet) -> list[int]:
    """The longest value's length (``str``) in each column of ``ws``, header included.

    Read from the values the sheet was given, not back from every cell: a cell keeps the value it was given
    (openpyxl refuses what it would have to convert), so the lengths are the ones the cells would give, and a
    shorter row's missing cells (which reading back made, empty) are not written to the file either way.
    """
    longest = [0] * ws.max_column
    for values in (sheet.header, *sheet.rows):
        for n, value in enumerate(values):
            if value is not None:
                size = len(str(value))
                if size > longest[n]:
                    longest[n] = size
    return longest


def format_table(ws: Worksheet, longest: Sequence[int]) -> None:
    """A sheet as a spreadsheet user expects: bold frozen header, autofilter, widths that fit the values
    (``longest``: the longest value's length in each column, from the first)."""
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for n, width in enumerate(longest, start=1):
        ws.column_dimensions[get_column_letter(n)].width = min(max(width + 2, 8), 60)


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The one XLSX writer: a workbook of ``sheets`` in order, each a clean table."""
    book = Workbook()
    book.remove(book.worksheets[0])  # the default empty sheet
    for sheet in sheets:
        _table(book.create_sheet(sheet.title), sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_bytes(
    rows: Sequence[Figure],
    metadata: Sequence[tuple[str, str]],
    d: Dialect = DANISH,
    extra: Sequence[Sheet] = (),
) -> bytes:
    """A workbook: *Data* (the long format), extra sheets, *Definitioner* and *Metadata*."""
    value_col = get_column_letter(1 + [c[0] for c in COLUMNS].index("value"))
    data = Sheet("Data", headers(d), [row(f, d) for f in rows], {value_col: (float, "0.00")})
    definitions = Sheet(
        "Definitions" if d.english else "Definitioner",
        [
            pick(d.english, C_("download sheet", "code")),
            pick(d.english, C_("download sheet", "label")),
            pick(d.english, C_("download sheet", "unit")),
            pick(d.english, C_("download sheet", "definition")),
        ],
        definition_rows(used_meanings(rows), d),
    )
    about = Sheet(
        "Metadata",
        [
            pick(d.english, C_("download sheet", "field")),
            pick(d.english, C_("download sheet", "value")),
        ],
        list(metadata),
    )
    return workbook_bytes([data, *extra, definitions, about])


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
    e = int(d.english)
    return [
        (METADATA["source"][e], "roomlog: " + both(N_("the stored publication"))[e]),
        (METADATA["period"][e], period),
        (METADATA["generated_at"][e], generated),
        (METADATA["publication_version"][e], version),
        (METADATA["definitions_version"][e], definitions_version()),
        (METADATA["threshold_k"][e], str(threshold)),
        (METADATA["dialect"][e], d.name),
        *notes,
        (METADATA["note"][e], suppression_note(threshold)),
    ]


#: The metadata sheet's field names (Danish, English).
METADATA = {
    "source": both(C_("download metadata", "source")),
    "period": both(C_("download metadata", "period")),
    "generated_at": both(C_("download metadata", "generated_at")),
    "publication_version": both(C_("download metadata", "publication_version")),
    "definitions_version": both(C_("download metadata", "definitions_version")),
    "threshold_k": both(C_("download metadata", "threshold_k")),
    "dialect": both(C_("download metadata", "dialect")),
    "note": both(C_("download metadata", "note")),
}


def generated_at() -> str:
    """Now, as an ISO timestamp in UTC."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def definitions_version() -> str:
    """A fingerprint of every indicator definition: it changes whenever a definition does."""
    text = "\n".join(f"{i.code}|{i.kind.value}|{i.definition_da}|{i.definition_en}" for i in BY_CODE.values())
    return "def-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
