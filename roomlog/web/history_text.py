"""The record history in words: labels, local times, Danish decimals and action names (the record page,
the changed-after-approval notice).

The audit log keeps raw values (codes, UTC ISO times, ``"1.80"``); the record page shows
each change the way the capture screens say it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l

from roomlog.i18n import label, local_date, local_datetime
from roomlog.models import AuditEntry
from roomlog.models.codes import (
    CodeList,
    EmergencyAction,
    EmergencyOutcome,
    EmergencyType,
    IncidentType,
    NaloxoneRoute,
    OxygenPhase,
    PlaceKind,
    ReferralMode,
    ReferralTarget,
    Route,
    ServiceCode,
    Severity,
    Substance,
    TurnAwayReason,
    VisitOutcome,
)

CODES: dict[str, type[CodeList]] = {
    "severity": Severity,
    "substances": Substance,
    "naloxone_route": NaloxoneRoute,
    "action": EmergencyAction,
    "target": ReferralTarget,
    "mode": ReferralMode,
    "service": ServiceCode,
    "turn_away_reason": TurnAwayReason,
    "oxygen_phase": OxygenPhase,
}
#: Keys whose code list depends on the kind of record ("route" of a dose is the naloxone route).
CODES_BY_KIND: dict[str, dict[str, type[CodeList]]] = {
    "visit": {"outcome": VisitOutcome, "reason": TurnAwayReason},
    "emergency": {"outcome": EmergencyOutcome, "type": EmergencyType},
    "emergency_action": {"route": NaloxoneRoute},
    "consumption": {"route": Route},
    "incident": {"type": IncidentType},
}
EXTRA_LABELS = {
    "visit_id": _l("Visit"),
    "consumption_id": _l("Consumption"),
    "emergency_id": _l("Emergency"),
    "action": _l("Action"),
    "dose": _l("Dose (mg)"),
    "outcome_at": _l("Outcome time"),
    "voided": _l("Voided"),
    "left_at": _l("Left"),
    "ended_at": _l("Ended"),
    "assisted_set_at": _l("Assisted set at"),
    "backdated": _l("Back-dated"),
    "place": _l("Place"),
    "oxygen_phase": _l("Oxygen"),
}
KIND_FIELD_LABELS = {
    ("emergency_action", "route"): _l("Naloxone route"),
    ("visit", "reason"): _l("Reason for turning away"),
}
#: The fields a correction form offers, by name (the record page and the changed-after-approval notice).
FIELD_LABELS = {
    "occurred_at": _l("Happened"),
    "turn_away_reason": _l("Reason for turning away"),
    "route": _l("Route"),
    "substances": _l("Substances"),
    "assisted": _l("Assisted consumption"),
    "type": _l("Type"),
    "severity": _l("Severity"),
    "outcome": _l("Outcome"),
    "note": _l("Short note"),
    "naloxone_route": _l("Naloxone route"),
    "naloxone_dose_mg": _l("Dose (mg)"),
    "target": _l("Referred to"),
    "mode": _l("Mode"),
    "service": _l("Service"),
    "quantity": _l("Quantity"),
    "narrative": _l("What happened"),
}
#: Each kind of record, by name.
KIND_LABELS = {
    "visit": _l("Visit"),
    "consumption": _l("Consumption"),
    "emergency": _l("Emergency"),
    "emergency_action": _l("Emergency action"),
    "referral": _l("Referral"),
    "service": _l("Service"),
    "incident": _l("Incident"),
}
DECIMALS = {"dose", "naloxone_dose_mg"}
ACTIONS = {
    "create": _l("Registered"),
    "check_out": _l("Checked out"),
    "assisted": _l("Assisted consumption changed"),
    "end": _l("Ended"),
    "action": _l("Action stamped"),
    "outcome": _l("Outcome recorded"),
    "details": _l("Details filled in"),
    "reopen": _l("Reopened"),
    "cancel": _l("Cancelled (opened by mistake)"),
    "correct": _l("Corrected"),
    "void": _l("Voided"),
    "undo": _l("Undone right after entry"),
    "undo_end": _l("End undone"),
}


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None
    after: str


@dataclass(frozen=True)
class HistoryRow:
    entry: AuditEntry
    what: str
    changes: list[Change]


def _iso(value: str) -> str | None:
    """A stored ISO date or time in local words; ``None`` for any other text (a note that only looks like one
    and cannot be shown in local time, such as ``9999-12-31T23:59``, is shown as written)."""
    if len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            parsed = dt.datetime.fromisoformat(value)
            if len(value) == 10:
                return local_date(parsed.date())
            return local_datetime(parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC))
        except (ValueError, OverflowError):
            return None
    return None


def value_text(kind: str, key: str, value: Any) -> str:
    """Return one stored value in words."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, CodeList):
        return label(value)
    if isinstance(value, dt.datetime):
        return local_datetime(value)
    if isinstance(value, Decimal):
        return format_decimal(value, format="#,##0.0#")
    codes = CODES_BY_KIND.get(kind, {}).get(key) or CODES.get(key)
    if key == "place" and isinstance(value, list) and len(value) == 2:
        return f"{value_text(kind, 'place_kind', value[0])} {value[1]}"
    if key == "place_kind":
        codes = PlaceKind
    if isinstance(value, list):
        return ", ".join(value_text(kind, key, v) for v in value)
    if codes is not None:
        try:
            return label(codes(value))
        except ValueError:
            return str(value)
    if key in DECIMALS:
        try:
            return format_decimal(Decimal(str(value)), format="#,##0.0#")
        except InvalidOperation:
            return str(value)
    if key.endswith("_id"):
        return f"#{value}"
    if isinstance(value, str):
        return _iso(value) or value
    return format_decimal(value) if isinstance(value, int | float) else str(value)


def field_text(kind: str, key: str, field_labels: dict[str, Any]) -> str:
    """Return the label of a changed field."""
    found = KIND_FIELD_LABELS.get((kind, key)) or field_labels.get(key) or EXTRA_LABELS.get(key)
    return str(found) if found else key.replace("_", " ")


def _is_pair(key: str, value: Any) -> bool:
    """Return whether a stored change is ``[before, after]`` (a created list of codes is not)."""
    if not isinstance(value, list) or len(value) != 2:
        return False
    if key in ("substances", "place"):
        return all(v is None or isinstance(v, list) for v in value)
    return True


def rows(kind: str, entries: list[AuditEntry], field_labels: dict[str, Any]) -> list[HistoryRow]:
    """Return the history of a record in words."""
    out = []
    for entry in entries:
        suffix = entry.action.split(".", 1)[-1]
        changes = []
        for key, value in (entry.changes or {}).items():
            name = field_text(kind, key, field_labels)
            if _is_pair(key, value):
                changes.append(Change(name, value_text(kind, key, value[0]), value_text(kind, key, value[1])))
            else:
                changes.append(Change(name, None, value_text(kind, key, value)))
        out.append(HistoryRow(entry, str(ACTIONS.get(suffix, suffix.replace("_", " "))), changes))
    return out
