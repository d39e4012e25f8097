"""Bounds on every numeric and date input of capture (issue #12, finding 7).

Every capture form field, the one-tap fields and every correction field get hostile values:
the answer is a Danish 4xx (or a normal save for a harmless value), never a 500, and
nothing out of bounds is stored.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import EmergencyActionRecord, Room, ServiceRecord
from roomlog.models.codes import Role
from roomlog.services.corrections import FIELDS
from tests.support.apps import AuthActions
from tests.support.capture import CODE, consume, key, location_id, staffed_room, visit
from tests.support.factories import Factory

TWENTY = "9" * 20
#: The values of the issue's finding 7, and their neighbours.
ISSUE_VALUES = [
    TWENTY, "-" + TWENTY, "NaN", "nan", "Infinity", "-inf", "1e309", "1000000000", "-999999", "0", "-1",
    "0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01", "9999-12", "1.5", "1,8", "", " ", "x", "\x00", "²", "٣",
]  # fmt: skip


@dataclass
class World:
    room: Room
    visit: int
    consumption: int
    emergency: int
    action: int
    service: int
    referral: int
    incident: int


def _world(client: FlaskClient, make: Factory, auth: AuthActions) -> World:
    room, _user = staffed_room(make, auth, role=Role.LEAD)
    v = visit(client, room)
    consume(client, room, v)
    base = f"/rooms/{room.id}"
    e = location_id(client.post(f"{base}/emergencies", data={"idempotency_key": key(), "visit_id": v}), "emergencies")
    data = {"idempotency_key": key(), "action": "naloxone", "naloxone_route": "in", "naloxone_dose_mg": "1.8"}
    client.post(f"{base}/emergencies/{e}/actions", data=data)
    client.post(f"{base}/visits/{v}/services", data={"idempotency_key": key(), "service": "conversation"})
    client.post(f"{base}/visits/{v}/referrals", data={"idempotency_key": key(), "target": "gp"})
    client.post(f"{base}/incidents", data={"idempotency_key": key(), "type": "other", "visit_id": v})
    return World(room, v, 1, e, 1, 1, 1, 1)


def _targets(w: World) -> dict[str, Callable[[str], tuple[str, dict[str, Any]]]]:
    """Every capture input: name → (url, form) with the hostile value in that one field."""
    r = f"/rooms/{w.room.id}"
    targets: dict[str, Callable[[str], tuple[str, dict[str, Any]]]] = {}
    for name in ("last_letters", "first_letters", "birth", "birth_day", "birth_month", "birth_year", "sex",
                 "nationality", "occurred_at", "reason", "confirm_under_18"):  # fmt: skip
        targets[f"check-in.{name}"] = lambda v, n=name: (f"{r}/check-in", {**CODE, n: v})
    for name in ("route", "substances", "place", "assisted", "occurred_at", "reason"):
        base = {"route": "inject", "substances": "heroin", "place": "injection-2", "assisted": "no"}
        targets[f"consumption.{name}"] = lambda v, n=name, b=base: (f"{r}/visits/{w.visit}/consumptions", {**b, n: v})
    for name in ("visit_id", "consumption_id"):
        targets[f"emergency.{name}"] = lambda v, n=name: (f"{r}/emergencies", {n: v})
    action = {"action": "naloxone", "naloxone_route": "in", "naloxone_dose_mg": "1.8"}
    for name in ("action", "naloxone_route", "naloxone_dose_mg", "oxygen_phase"):
        targets[f"action.{name}"] = lambda v, n=name: (f"{r}/emergencies/{w.emergency}/actions", {**action, n: v})
    for name in ("quantity", "service"):
        base = {"service": "testing", "quantity": "1"}
        targets[f"service.{name}"] = lambda v, n=name, b=base: (f"{r}/visits/{w.visit}/services", {**b, n: v})
    for name in ("target", "mode"):
        targets[f"referral.{name}"] = lambda v, n=name: (f"{r}/visits/{w.visit}/referrals", {"target": "gp", n: v})
    for name in ("visit_id", "occurred_at", "type", "narrative"):
        targets[f"incident.{name}"] = lambda v, n=name: (f"{r}/incidents", {"type": "other", n: v})
    targets["turn-away.occurred_at"] = lambda v: (f"{r}/turn-away", {"turn_away_reason": "other", "occurred_at": v})
    targets["outcome.outcome"] = lambda v: (f"{r}/emergencies/{w.emergency}/outcome", {"outcome": v})
    targets["details.type"] = lambda v: (f"{r}/emergencies/{w.emergency}/details", {"type": v, "severity": v})
    targets["assisted.assisted"] = lambda v: (f"{r}/consumptions/{w.consumption}/assisted", {"assisted": v})
    targets["undo.record_id"] = lambda v: (f"{r}/undo", {"kind": "service", "record_id": v})
    ids = {"visit": w.visit, "consumption": w.consumption, "emergency": w.emergency, "emergency_action": w.action,
           "service": w.service, "referral": w.referral, "incident": w.incident}  # fmt: skip
    for kind, fields in FIELDS.items():
        for name in fields:
            url = f"{r}/records/{kind}/{ids[kind]}/correct"
            targets[f"correct.{kind}.{name}"] = lambda v, n=name, u=url: (u, {n: v, "reason": "probe"})
    return targets


def _post(client: FlaskClient, url: str, data: dict[str, Any]) -> int:
    return client.post(url, data={"idempotency_key": key(), **data}).status_code


def _stored_within_bounds(dbs: Session) -> None:
    dbs.expire_all()
    doses = dbs.scalars(select(EmergencyActionRecord.naloxone_dose_mg)).all()
    assert all(d is None or Decimal("0.01") <= d <= Decimal("10") for d in doses), doses
    quantities = dbs.scalars(select(ServiceRecord.quantity)).all()
    assert all(1 <= q <= 999 for q in quantities), quantities


def test_every_issue_value_in_every_field_is_a_4xx_or_a_save(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    w = _world(client, make, auth)
    failures = []
    for name, build in _targets(w).items():
        for value in ISSUE_VALUES:
            url, data = build(value)
            status = _post(client, url, data)
            if status >= 500:
                failures.append((name, value, status))
    assert failures == []
    _stored_within_bounds(dbs)


def test_out_of_bounds_numbers_are_refused_in_danish(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    w = _world(client, make, auth)
    r = f"/rooms/{w.room.id}"
    huge = client.post(
        f"{r}/records/emergency_action/{w.action}/correct", data={"naloxone_dose_mg": "1000000000", "reason": "x"}
    )
    assert huge.status_code == 400 and "Dosis skal være mellem 0,01 og 10 mg." in huge.get_data(as_text=True)
    negative = client.post(f"{r}/records/service/{w.service}/correct", data={"quantity": "-999999", "reason": "x"})
    assert negative.status_code == 400 and "Antal skal være et helt tal mellem 1 og 999." in negative.get_data(
        as_text=True
    )
    dose = {"idempotency_key": key(), "action": "naloxone", "naloxone_route": "in", "naloxone_dose_mg": "NaN"}
    nan = client.post(f"{r}/emergencies/{w.emergency}/actions", data=dose)
    assert nan.status_code == 400 and "Dosis" in nan.get_data(as_text=True)
    early = client.post(f"{r}/turn-away", data={"idempotency_key": key(), "turn_away_reason": "other",
                                                "occurred_at": "0001-01-01T00:00"})  # fmt: skip
    assert early.status_code == 400 and "Tidspunktet er ugyldigt" in early.get_data(as_text=True)
    assert client.get(f"/reports/{w.room.id}/9999-12").status_code == 404
    assert client.get(f"/reports/{w.room.id}/9999-12.pdf").status_code == 404
    assert client.get(f"{r}/records/visit/{TWENTY}").status_code == 404
    _stored_within_bounds(dbs)


def test_an_empty_check_in_lists_every_error_at_once_in_danish(
    make: Factory, client: FlaskClient, auth: AuthActions
) -> None:
    room, _user = staffed_room(make, auth)
    response = client.post(f"/rooms/{room.id}/check-in", data={"idempotency_key": key()})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This field is required" not in page and "Number must be" not in page
    summary = page.split('class="form-errors"')[1].split("</div>")[0]
    for field in ("last_letters", "first_letters", "birth", "sex"):
        assert f'data-error-field="{field}"' in summary
    assert "Feltet skal udfyldes." in summary


hostile = st.one_of(
    st.sampled_from(ISSUE_VALUES),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
    st.text(max_size=30),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_no_capture_input_gives_a_500(
    data: st.DataObject, make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    w = _WORLDS.get(id(dbs)) or _WORLDS.setdefault(id(dbs), _world(client, make, auth))
    targets = _targets(w)
    name = data.draw(st.sampled_from(sorted(targets)), label="field")
    value = data.draw(hostile, label="value")
    url, form = targets[name](value)
    assert _post(client, url, form) < 500, (name, value)
    _stored_within_bounds(dbs)


#: One seeded room per test (Hypothesis runs many examples inside one function-scoped app).
_WORLDS: dict[int, World] = {}


@pytest.fixture(autouse=True)
def _forget_worlds() -> None:
    _WORLDS.clear()


def _field(html: str, field_id: str) -> str | None:
    """The ``value`` of the input with this id in ``html`` (unescaped), or None."""
    found = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    value = re.search(r'\bvalue="([^"]*)"', found.group(0)) if found else None
    return htmllib.unescape(value.group(1)) if value else None


def test_a_refused_correction_keeps_what_was_typed(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    """A correction refused for one bad field is shown again as typed: the reason and every field (nothing lost)."""
    w = _world(client, make, auth)
    r = f"/rooms/{w.room.id}/records"
    reason = 'talt forkert <b>"igen"</b>'
    refused = client.post(f"{r}/service/{w.service}/correct", data={"quantity": "-999999", "reason": reason})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Antal skal være et helt tal mellem 1 og 999." in html
    assert _field(html, "f-quantity") == "-999999"
    assert _field(html, "correct-reason") == reason
    assert "<b>" not in html  # what was typed is escaped
    typed = {"occurred_at": "2026-13-40T25:61", "target": "hat", "reason": "forkert dato"}
    wrong_time = client.post(f"{r}/referral/{w.referral}/correct", data=typed)
    html = wrong_time.get_data(as_text=True)
    assert wrong_time.status_code == 400
    assert _field(html, "f-occurred_at") == "2026-13-40T25:61" and _field(html, "correct-reason") == "forkert dato"
    assert re.search(r'<option value="hat" selected>', html)
    shown = client.get(f"{r}/service/{w.service}").get_data(as_text=True)
    assert _field(shown, "f-quantity") == "1" and _field(shown, "correct-reason") == ""  # the stored record, unchanged
