"""The pool overview as an XLSX workbook (openpyxl): amounts as whole-kroner numbers with Danish formatting."""

from __future__ import annotations

import io
from typing import cast

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from roomlog.funding.queries import Overview
from roomlog.reporting.exports import format_table, generated_at

KR_FORMAT = '#,##0" kr."'


def _money(sheet: Worksheet, columns: str) -> None:
    for col in columns:
        for cell in sheet[col][1:]:
            if isinstance(cell.value, int):
                cell.number_format = KR_FORMAT


def overview_xlsx(view: Overview, language: str = "da") -> bytes:
    """Sheets Pulje (totals), Rum (per room with the rule checks), Kommuner, Afventer (awaiting decision), Metadata;
    every sheet a clean table (the shared :func:`~roomlog.reporting.exports.format_table`)."""
    da = language != "en"
    book = Workbook()
    totals = cast(Worksheet, book.active)  # a new Workbook opens on its one Worksheet
    totals.title = "Pulje" if da else "Pool"
    totals.append(["Post", "Beløb"] if da else ["Item", "Amount"])
    rows = (
        ("Puljen i alt" if da else "Pool total", view.total_kr),
        ("Bevilget (disponeret)" if da else "Committed (granted)", view.committed_kr),
        ("Udbetalt" if da else "Paid", view.paid_kr),
        ("Til udbetaling" if da else "Awaiting payment", view.scheduled_kr),
        ("Tilbage i puljen" if da else "Remaining in the pool", view.remaining_kr),
    )
    for row in rows:
        totals.append(list(row))
    _money(totals, "B")
    rooms = book.create_sheet("Rum" if da else "Rooms")
    head = [
        "Kommune",
        "Rum",
        "Tilladelse",
        "Bevilget",
        "Til udbetaling",
        "Udbetalt",
        "Tilbageholdt",
        "Mangler udbetaling",
        "Kommunal medfinansiering mangler",
    ]
    rooms.append(
        head
        if da
        else [
            "Municipality",
            "Room",
            "Permit",
            "Granted",
            "Awaiting payment",
            "Paid",
            "Withheld",
            "Not yet paid",
            "Municipal match missing",
        ]
    )
    for ln in view.lines:
        short = "; ".join(f"{y}: {kr}" for y, kr in ln.shortfalls.items())
        permit = ln.room.permit_status.label_da if da else ln.room.permit_status.label_en
        rooms.append(
            [
                ln.room.municipality.name,
                ln.room.name,
                permit,
                ln.granted_kr,
                ln.scheduled_kr,
                ln.paid_kr,
                ln.withheld_kr,
                ln.to_pay_kr,
                short,
            ]
        )
    _money(rooms, "DEFGH")
    municipalities = book.create_sheet("Kommuner" if da else "Municipalities")
    municipalities.append(
        ["Kommune", "Bevilget", "Til udbetaling", "Udbetalt"]
        if da
        else ["Municipality", "Granted", "Awaiting payment", "Paid"]
    )
    for name, sums in view.by_municipality.items():
        municipalities.append([name, sums["granted"], sums["scheduled"], sums["paid"]])
    _money(municipalities, "BCD")
    awaiting = book.create_sheet("Afventer" if da else "Awaiting decision")
    awaiting.append(
        ["Ansøgning", "Kommune", "Rum", "Indsendt", "Ansøgt beløb"]
        if da
        else ["Application", "Municipality", "Room", "Submitted", "Amount asked for"]
    )
    for app in view.awaiting:
        asked = app.establishment_requested_kr + sum(y.operating_requested_kr for y in app.years)
        submitted = app.submitted_at.date() if app.submitted_at else None
        awaiting.append([app.id, app.municipality.name, app.room.name, submitted, asked])
    _money(awaiting, "E")
    meta = book.create_sheet("Metadata")
    meta.append(["field", "value"] if not da else ["Felt", "Værdi"])
    meta.append(
        ["source" if not da else "Kilde", "roomlog: " + ("the pool's ledger" if not da else "puljens regnskab")]
    )
    meta.append(["generated_at" if not da else "Dannet", generated_at()])
    meta.append(["unit" if not da else "Enhed", "DKK, whole kroner" if not da else "kr., hele kroner"])
    for sheet in book.worksheets:
        format_table(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
