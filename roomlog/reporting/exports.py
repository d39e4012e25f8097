"""CSV and XLSX of published cells: Danish headers, numbers as numbers, the suppression note."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from roomlog.reporting.indicators import BY_CODE
from roomlog.reporting.publication.read import Cell
from roomlog.reporting.suppression import SYMBOL

API_COLUMNS = ("municipality_code", "room_id", "room", "period", "indicator", "value", "suppressed", "status")
DA_COLUMNS = (
    "Kommunekode",
    "Rum-id",
    "Rum",
    "Periode",
    "Indikator",
    "Indikatornavn",
    "Værdi",
    "Diskretioneret",
    "Status",
)
STATUS_DA = {
    "approved": "offentliggjort",
    "unknown": "ukendt",
    "not_published": "ikke offentliggjort",
    "not_available": "kan ikke opgøres",
    "not_applicable": "ikke åben",
}


def suppression_note(threshold: int) -> str:
    """The footnote every output carries (Danish)."""
    return (
        f"{SYMBOL} = diskretioneret. Antal fra 1 til {threshold - 1} vises ikke, og yderligere celler er "
        "skjult, så de ikke kan regnes ud fra række-, kolonne-, periode- eller totalsummer; rater skjules "
        "sammen med deres tæller eller nævner. Nuller vises. Kun lukkede måneder offentliggøres."
    )


def _number(value: int | Decimal | None) -> int | float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else int(value)


def csv_text(cells: Sequence[Cell], danish: bool = False) -> str:
    """CSV: the API field names with ``,`` — or Danish headers with ``;`` and decimal comma."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if danish else ",", lineterminator="\r\n")
    writer.writerow(DA_COLUMNS if danish else API_COLUMNS)
    for c in cells:
        value = _number(c.value)
        shown: object = SYMBOL if c.suppressed else ("" if value is None else value)
        if danish and isinstance(shown, float):
            shown = str(shown).replace(".", ",")
        if danish:
            label = BY_CODE[c.indicator].label_da
            row = [
                c.municipality_code or "",
                c.room_id or "",
                c.room or "",
                c.period,
                c.indicator,
                label,
                shown,
                "ja" if c.suppressed else "nej",
                STATUS_DA[c.status],
            ]
        else:
            row = [
                c.municipality_code or "",
                c.room_id or "",
                c.room or "",
                c.period,
                c.indicator,
                shown,
                "true" if c.suppressed else "false",
                c.status,
            ]
        writer.writerow(row)
    return out.getvalue()


def xlsx_bytes(cells: Sequence[Cell], threshold: int, metadata: Mapping[str, str]) -> bytes:
    """A workbook: sheet *Data* (Danish headers, numbers as numbers, footnote), *Diskretionering*, *Metadata*."""
    book = Workbook()
    data = book.active
    data.title = "Data"
    data.append(list(DA_COLUMNS))
    for cell in data[1]:
        cell.font = Font(bold=True)
    for c in cells:
        value = SYMBOL if c.suppressed else _number(c.value)
        data.append(
            [
                c.municipality_code,
                c.room_id,
                c.room,
                c.period,
                c.indicator,
                BY_CODE[c.indicator].label_da,
                value,
                "ja" if c.suppressed else "nej",
                STATUS_DA[c.status],
            ]
        )
    data.append([])
    data.append([suppression_note(threshold)])
    data.freeze_panes = "A2"
    hidden = book.create_sheet("Diskretionering")
    hidden.append(["Kommunekode", "Rum-id", "Rum", "Periode", "Indikator"])
    for c in cells:
        if c.suppressed:
            hidden.append([c.municipality_code, c.room_id, c.room, c.period, c.indicator])
    meta = book.create_sheet("Metadata")
    for key, value in {
        **metadata,
        "Diskretioneringsgrænse": str(threshold),
        "Note": suppression_note(threshold),
    }.items():
        meta.append([key, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def generated_at() -> str:
    """Now, as an ISO timestamp in UTC."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def definitions_version() -> str:
    """A fingerprint of every indicator definition: it changes whenever a definition does."""
    import hashlib

    text = "\n".join(f"{i.code}|{i.kind.value}|{i.definition_da}|{i.definition_en}" for i in BY_CODE.values())
    return "def-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
