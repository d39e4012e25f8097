"""The pool overview as an XLSX workbook: amounts as whole-kroner numbers with Danish formatting, written by
the one XLSX writer (:func:`roomlog.reporting.exports.workbook_bytes`)."""

from __future__ import annotations

from roomlog.funding.queries import Overview
from roomlog.messages import C_, pick
from roomlog.reporting.exports import Sheet, generated_at, workbook_bytes

KR_FORMAT = '#,##0" kr."'


def _kr(columns: str) -> dict[str, tuple[type, str]]:
    """Whole kroner in these columns."""
    return {column: (int, KR_FORMAT) for column in columns}


def overview_xlsx(view: Overview, language: str = "da") -> bytes:
    """Sheets Pulje (totals), Rum (per room with the rule checks), Kommuner, Afventer (awaiting decision), Metadata."""
    da = language != "en"
    totals = [
        (pick(not da, C_("pool workbook", "Pool total")), view.total_kr),
        (pick(not da, C_("pool workbook", "Committed (granted)")), view.committed_kr),
        (pick(not da, C_("pool workbook", "Paid")), view.paid_kr),
        (pick(not da, C_("pool workbook", "Awaiting payment")), view.scheduled_kr),
        (pick(not da, C_("pool workbook", "Remaining in the pool")), view.remaining_kr),
    ]
    room_head = [
        pick(not da, C_("pool workbook", "Municipality")),
        pick(not da, C_("pool workbook", "Room")),
        pick(not da, C_("pool workbook", "Permit")),
        pick(not da, C_("pool workbook", "Granted")),
        pick(not da, C_("pool workbook", "Awaiting payment")),
        pick(not da, C_("pool workbook", "Paid")),
        pick(not da, C_("pool workbook", "Withheld")),
        pick(not da, C_("pool workbook", "Not yet paid")),
        pick(not da, C_("pool workbook", "Municipal match missing")),
    ]
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
        [
            pick(not da, C_("pool workbook", "source")),
            "roomlog: " + pick(not da, C_("pool workbook", "the pool's ledger")),
        ],
        [pick(not da, C_("pool workbook", "generated_at")), generated_at()],
        [
            pick(not da, C_("pool workbook", "unit")),
            pick(not da, C_("pool workbook", "DKK, whole kroner")),
        ],
    ]
    return workbook_bytes(
        [
            Sheet(
                pick(not da, C_("pool workbook", "Pool")),
                [
                    pick(not da, C_("pool workbook", "Item")),
                    pick(not da, C_("pool workbook", "Amount")),
                ],
                totals,
                _kr("B"),
            ),
            Sheet(pick(not da, C_("pool workbook", "Rooms")), room_head, rooms, _kr("DEFGH")),
            Sheet(
                pick(not da, C_("pool workbook", "Municipalities")),
                [
                    pick(not da, C_("pool workbook", "Municipality")),
                    pick(not da, C_("pool workbook", "Granted")),
                    pick(not da, C_("pool workbook", "Awaiting payment")),
                    pick(not da, C_("pool workbook", "Paid")),
                ],
                municipalities,
                _kr("BCD"),
            ),
            Sheet(
                pick(not da, C_("pool workbook", "Awaiting decision")),
                [
                    pick(not da, C_("pool workbook", "Application")),
                    pick(not da, C_("pool workbook", "Municipality")),
                    pick(not da, C_("pool workbook", "Room")),
                    pick(not da, C_("pool workbook", "Submitted")),
                    pick(not da, C_("pool workbook", "Amount asked for")),
                ],
                awaiting,
                _kr("E"),
            ),
            Sheet(
                "Metadata",
                [
                    pick(not da, C_("pool workbook", "field")),
                    pick(not da, C_("pool workbook", "value")),
                ],
                about,
            ),
        ]
    )
