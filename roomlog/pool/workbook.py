"""The pool overview as an XLSX workbook: amounts as whole-kroner numbers with Danish formatting, written by
the one XLSX writer (:func:`roomlog.reporting.exports.workbook_bytes`)."""

from __future__ import annotations

from roomlog.funding.queries import Overview
from roomlog.reporting.exports import Sheet, generated_at, workbook_bytes

KR_FORMAT = '#,##0" kr."'


def _kr(columns: str) -> dict[str, tuple[type, str]]:
    """Whole kroner in these columns."""
    return {column: (int, KR_FORMAT) for column in columns}


def overview_xlsx(view: Overview, language: str = "da") -> bytes:
    """Sheets Pulje (totals), Rum (per room with the rule checks), Kommuner, Afventer (awaiting decision), Metadata."""
    da = language != "en"
    totals = [
        ("Puljen i alt" if da else "Pool total", view.total_kr),
        ("Bevilget (disponeret)" if da else "Committed (granted)", view.committed_kr),
        ("Udbetalt" if da else "Paid", view.paid_kr),
        ("Til udbetaling" if da else "Awaiting payment", view.scheduled_kr),
        ("Tilbage i puljen" if da else "Remaining in the pool", view.remaining_kr),
    ]
    room_head = (
        ["Kommune", "Rum", "Tilladelse", "Bevilget", "Til udbetaling", "Udbetalt", "Tilbageholdt",
         "Mangler udbetaling", "Kommunal medfinansiering mangler"]
        if da
        else ["Municipality", "Room", "Permit", "Granted", "Awaiting payment", "Paid", "Withheld", "Not yet paid",
              "Municipal match missing"]
    )  # fmt: skip
    rooms = [
        [
            ln.room.municipality.name,
            ln.room.name,
            ln.room.permit_status.label_da if da else ln.room.permit_status.label_en,
            ln.granted_kr,
            ln.scheduled_kr,
            ln.paid_kr,
            ln.withheld_kr,
            ln.to_pay_kr,
            "; ".join(f"{y}: {kr}" for y, kr in ln.shortfalls.items()),
        ]
        for ln in view.lines
    ]
    municipalities = [[name, s["granted"], s["scheduled"], s["paid"]] for name, s in view.by_municipality.items()]
    awaiting = [
        [
            app.id,
            app.municipality.name,
            app.room.name,
            app.submitted_at.date() if app.submitted_at else None,
            app.establishment_requested_kr + sum(y.operating_requested_kr for y in app.years),
        ]
        for app in view.awaiting
    ]
    about = [
        ["Kilde" if da else "source", "roomlog: " + ("puljens regnskab" if da else "the pool's ledger")],
        ["Dannet" if da else "generated_at", generated_at()],
        ["Enhed" if da else "unit", "kr., hele kroner" if da else "DKK, whole kroner"],
    ]
    return workbook_bytes(
        [
            Sheet("Pulje" if da else "Pool", ["Post", "Beløb"] if da else ["Item", "Amount"], totals, _kr("B")),
            Sheet("Rum" if da else "Rooms", room_head, rooms, _kr("DEFGH")),
            Sheet(
                "Kommuner" if da else "Municipalities",
                ["Kommune", "Bevilget", "Til udbetaling", "Udbetalt"]
                if da
                else ["Municipality", "Granted", "Awaiting payment", "Paid"],
                municipalities,
                _kr("BCD"),
            ),
            Sheet(
                "Afventer" if da else "Awaiting decision",
                ["Ansøgning", "Kommune", "Rum", "Indsendt", "Ansøgt beløb"]
                if da
                else ["Application", "Municipality", "Room", "Submitted", "Amount asked for"],
                awaiting,
                _kr("E"),
            ),
            Sheet("Metadata", ["Felt", "Værdi"] if da else ["field", "value"], about),
        ]
    )
