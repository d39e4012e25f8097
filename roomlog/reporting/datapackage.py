"""The Frictionless data package descriptor served beside every CSV download. Pure functions."""

from __future__ import annotations

from typing import Any

from roomlog.messages import N_, both
from roomlog.reporting.exports import COLUMNS, XLSX, Dialect, headers
from roomlog.reporting.tidy import LEVELS, PERIOD_KINDS, ROLES, STATES, UNITS

DESCRIPTIONS = {
    "period_kind": both(N_("Kind of period: month, quarter, year, range or since opening.")),
    "first_month": both(N_("First month of the period (YYYY-MM).")),
    "last_month": both(N_("Last month of the period (YYYY-MM).")),
    "role": both(
        N_(
            "Role of the figure: the period, the same period last year, since opening, or (a year to date) the period"
            " and since opening through its last whole quarter."
        )
    ),
    "level": both(N_("Level: room, municipality (total) or nation (national total).")),
    "municipality_code": both(N_("Municipality code (DAGI, text); empty for the nation.")),
    "name": both(N_("Room name, «… total» or «National total».")),
    "room_id": both(N_("Room id (text); empty on total rows.")),
    "indicator": both(N_("Indicator code (stable).")),
    "label": both(N_("Indicator label (unique).")),
    "unit": both(N_("Unit of the value.")),
    "value": both(N_("The value; empty when hidden (see hidden) or not known (see state).")),
    "hidden": both(N_("«..» when the figure is suppressed (hidden), else empty.")),
    "state": both(N_("State of the month/figure: published, revised, unknown …")),
}  # fmt: skip
ENUMS = {"period_kind": PERIOD_KINDS, "role": ROLES, "level": LEVELS, "unit": UNITS}


def schema(d: Dialect) -> dict[str, Any]:  # JSON (a Table Schema)
    """The Table Schema of the long format in dialect ``d``."""
    e = int(d.english)
    fields: list[dict[str, object]] = []
    for (key, _da, _en, kind), title in zip(COLUMNS, headers(d), strict=True):
        one: dict[str, Any] = {"name": title, "type": kind, "description": DESCRIPTIONS[key][e]}
        if kind == "number":
            one["decimalChar"] = d.decimal
            one["bareNumber"] = True
        if key in ENUMS:
            one["constraints"] = {"enum": [v[e] for v in ENUMS[key].values()]}
        if key == "hidden":
            one["constraints"] = {"enum": [".."]}
        if key == "state":
            one["x-known-values"] = [v[e] for v in STATES.values()]
        if key in ("first_month", "last_month", "indicator", "label", "unit", "role", "level", "period_kind"):
            one.setdefault("constraints", {})["required"] = True
        fields.append(one)
    return {"fields": fields, "missingValues": [""]}


def descriptor(title: str, csv_name: str, xlsx_name: str | None, d: Dialect, created: str) -> dict[str, object]:
    """A tabular data package: the CSV (and the XLSX's Data sheet) with schema, dialect and encoding."""
    table = schema(d)
    csv_dialect = {"delimiter": d.delimiter, "quoteChar": '"', "doubleQuote": True, "header": True}
    resources: list[dict[str, object]] = [
        {
            "name": "data",
            "path": csv_name,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8-sig" if d.bom else "utf-8",
            "dialect": csv_dialect,
            "schema": table,
        }
    ]
    if xlsx_name is not None:
        resources.append(
            {
                "name": "data-xlsx",
                "path": xlsx_name,
                "profile": "tabular-data-resource",
                "format": "xlsx",
                "mediatype": XLSX,
                "dialect": {"excel": {"sheet": "Data"}},
                "schema": {**table, "fields": [{**f, "decimalChar": "."} if f["type"] == "number" else f
                                               for f in table["fields"]]},
            }
        )  # fmt: skip
    return {
        "profile": "tabular-data-package",
        "name": "roomlog-" + csv_name.rsplit(".", 1)[0].lower().replace("_", "-").replace("..", "-"),
        "title": title,
        "created": created,
        "x-dialect": d.name,
        "resources": resources,
    }
