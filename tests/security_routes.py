"""The table of route expectations for the security tests (tenant matrix, GET crawl, CSRF, headers, fuzz).

One entry per endpoint of ``app.url_map``; a meta-test fails when an endpoint has none.
Each entry says how to build the endpoint's URL against **tenant B's** objects (room B in
Odense, its staff, its records) and which roles may legitimately use it on them. Every
other role must get 403 or 404 (anonymous: a login redirect, or 401 on the API) and must
leave the database unchanged.

Adding a route: add ``"blueprint.endpoint": Route(url=lambda w: f"/…/{w.room_b.id}/…",
allowed=ROOM_B, form=lambda w: {...})``. ``form`` is a valid-looking POST body, so that a
missing access check would really change data (and the test would see it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from roomlog.models import Consumption, Emergency, Referral, Room, ServiceRecord, User, Visit, Visitor
from roomlog.models.codes import EmergencyAction, Role
from tests.factories import Factory

ROLES = ("anonymous", "staff_a", "lead_a", "staff_b", "municipality_other", "national", "admin")
AUTHENTICATED = frozenset(ROLES) - {"anonymous"}
ROOM_B = frozenset({"staff_b"})  # the only one in the matrix who works in room B
ADMIN = frozenset({"admin"})
ROOM_USERS = frozenset({"staff_a", "lead_a", "staff_b"})


@dataclass
class World:
    """Two tenants: room A (København, 101) and room B (Odense, 461) with their people and records."""

    room_a: Room
    room_b: Room
    users: dict[str, User]
    visitor_b: Visitor
    visit_b: Visit
    consumption_b: Consumption
    emergency_b: Emergency
    referral_b: Referral
    service_b: ServiceRecord
    month_b: str = "2026-10"
    kommune_b: str = "461"
    extra: dict[str, Any] = field(default_factory=dict)


def build_world(make: Factory) -> World:
    """Create both tenants; the municipality user belongs to room A's kommune, not room B's."""
    room_a, room_b = make.room("Room A", municipality="101"), make.room("Room B", municipality="461")
    users = {
        "staff_a": make.user(Role.STAFF, rooms=[room_a], username="staff_a"),
        "lead_a": make.user(Role.LEAD, rooms=[room_a], username="lead_a"),
        "staff_b": make.user(Role.STAFF, rooms=[room_b], username="staff_b"),
        "municipality_other": make.user(Role.MUNICIPALITY, municipality="101", username="municipality_other"),
        "national": make.user(Role.NATIONAL, username="national"),
        "admin": make.user(Role.ADMIN, username="admin"),
    }
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    visitor = make.visitor(home_room_id=room_b.id)
    visit = make.visit(room_b, at, visitor=visitor)
    return World(
        room_a=room_a,
        room_b=room_b,
        users=users,
        visitor_b=visitor,
        visit_b=visit,
        consumption_b=make.consumption(visit, room_b),
        emergency_b=make.emergency(visit, room_b, actions=(EmergencyAction.NALOXONE,)),
        referral_b=make.referral(room_b, visit),
        service_b=make.service(room_b, visit=visit),
    )


@dataclass(frozen=True)
class Route:
    """How to reach one endpoint with tenant B's objects, and who may."""

    url: Callable[[World], str]
    allowed: frozenset[str] = frozenset()
    public: bool = False  # on the login allow-list: anyone may call it
    form: Callable[[World], dict[str, Any]] | None = None
    #: POST changes the caller's own session/account only (login, logout, language): not a tenant object.
    self_service: bool = False
    #: Bearer-token API: sessions are ignored, so every cookie holder gets 401 (token scopes: tests/test_api.py).
    bearer: bool = False
    #: May answer 503 by design (``/healthz`` on a test database built without migrations).
    may_be_unavailable: bool = False


def _room_form(w: World) -> dict[str, Any]:
    return {
        "name": "Renamed by an attacker",
        "municipality_code": "101",
        "operator_type": "municipal",
        "model": "integrated",
        "permit_status": "granted",
        "places_injection": "3",
        "places_smoking": "1",
        "service_day_cutoff": "05:00",
        "active": "y",
    }


def _user_form(w: World) -> dict[str, Any]:
    return {"username": "intruder", "role": "admin", "password": "a long new passphrase 42", "active": "y"}


def _key(name: str) -> dict[str, str]:
    return {"idempotency_key": f"matrix-{name}"}


def _check_in_form(w: World) -> dict[str, Any]:
    return {
        "last_letters": "MIH",
        "first_letters": "LI",
        "birth_day": "2",
        "birth_month": "1",
        "birth_year": "1980",
        "sex": "m",
        "nationality": "dk",
        **_key("checkin"),
    }


ROUTES: dict[str, Route] = {
    "static": Route(lambda w: "/static/css/app.css", public=True),
    "home.index": Route(lambda w: "/", AUTHENTICATED),
    "auth.login": Route(lambda w: "/auth/login", public=True, self_service=True),
    "auth.two_factor": Route(lambda w: "/auth/two-factor", AUTHENTICATED, form=lambda w: {"code": "123456"}),
    "auth.keepalive": Route(lambda w: "/auth/keepalive", AUTHENTICATED),
    "auth.logout": Route(lambda w: "/auth/logout", public=True, self_service=True),
    "account.settings": Route(lambda w: "/account/", AUTHENTICATED, self_service=True),
    "account.two_factor": Route(lambda w: "/account/two-factor", AUTHENTICATED, self_service=True),
    "account.language": Route(lambda w: "/account/language", public=True, self_service=True),
    "rooms.index": Route(lambda w: "/rooms/", ROOM_USERS),
    "rooms.board": Route(lambda w: f"/rooms/{w.room_b.id}/", ROOM_B),
    "admin.index": Route(lambda w: "/admin/", ADMIN),
    "admin.room_new": Route(lambda w: "/admin/rooms/new", ADMIN, form=_room_form),
    "admin.room_edit": Route(lambda w: f"/admin/rooms/{w.room_b.id}", ADMIN, form=_room_form),
    "admin.user_new": Route(lambda w: "/admin/users/new", ADMIN, form=_user_form),
    "admin.user_edit": Route(
        lambda w: f"/admin/users/{w.users['staff_b'].id}", ADMIN, form=lambda w: {"role": "admin", "active": ""}
    ),
    "admin.user_password": Route(
        lambda w: f"/admin/users/{w.users['staff_b'].id}/password",
        ADMIN,
        form=lambda w: {"password": "attacker chosen passphrase"},
    ),
    "admin.user_totp_reset": Route(lambda w: f"/admin/users/{w.users['staff_b'].id}/second-factor/reset", ADMIN),
    "admin.municipalities": Route(lambda w: "/admin/municipalities", ADMIN),
    "admin.tokens": Route(
        lambda w: "/admin/tokens", ADMIN, form=lambda w: {"user_id": w.users["national"].id, "name": "x"}
    ),
    "admin.token_revoke": Route(lambda w: "/admin/tokens/1/revoke", ADMIN),
    # Capture (issue 3): everything names room B and its records; only room B's staff may.
    "rooms.board_live": Route(lambda w: f"/rooms/{w.room_b.id}/board/live", ROOM_B),
    "rooms.check_in": Route(lambda w: f"/rooms/{w.room_b.id}/check-in", ROOM_B, form=_check_in_form),
    "rooms.anonymous_visit": Route(
        lambda w: f"/rooms/{w.room_b.id}/visits/anonymous", ROOM_B, form=lambda w: _key("anon")
    ),
    "rooms.turn_away": Route(
        lambda w: f"/rooms/{w.room_b.id}/turn-away",
        ROOM_B,
        form=lambda w: {"turn_away_reason": "capacity", **_key("turn")},
    ),
    "rooms.visit": Route(lambda w: f"/rooms/{w.room_b.id}/visits/{w.visit_b.id}", ROOM_B),
    "rooms.consumption": Route(
        lambda w: f"/rooms/{w.room_b.id}/visits/{w.visit_b.id}/consumptions",
        ROOM_B,
        form=lambda w: {
            "route": "inject",
            "substances": "heroin",
            "place": "injection-2",
            "assisted": "no",
            **_key("cons"),
        },
    ),
    "rooms.assisted": Route(
        lambda w: f"/rooms/{w.room_b.id}/consumptions/{w.consumption_b.id}/assisted",
        ROOM_B,
        form=lambda w: {"assisted": "yes", **_key("assist")},
    ),
    "rooms.end_consumption": Route(
        lambda w: f"/rooms/{w.room_b.id}/consumptions/{w.consumption_b.id}/end", ROOM_B, form=lambda w: _key("end")
    ),
    "rooms.check_out": Route(
        lambda w: f"/rooms/{w.room_b.id}/visits/{w.visit_b.id}/check-out", ROOM_B, form=lambda w: _key("out")
    ),
    "rooms.open_emergency": Route(
        lambda w: f"/rooms/{w.room_b.id}/emergencies",
        ROOM_B,
        form=lambda w: {"visit_id": w.visit_b.id, **_key("emergency")},
    ),
    "rooms.emergency": Route(lambda w: f"/rooms/{w.room_b.id}/emergencies/{w.emergency_b.id}", ROOM_B),
    "rooms.emergency_action": Route(
        lambda w: f"/rooms/{w.room_b.id}/emergencies/{w.emergency_b.id}/actions",
        ROOM_B,
        form=lambda w: {"action": "naloxone", "naloxone_route": "in", "naloxone_dose_mg": "1.8", **_key("nal")},
    ),
    "rooms.emergency_outcome": Route(
        lambda w: f"/rooms/{w.room_b.id}/emergencies/{w.emergency_b.id}/outcome",
        ROOM_B,
        form=lambda w: {"outcome": "recovered_on_site", **_key("outcome")},
    ),
    "rooms.emergency_details": Route(
        lambda w: f"/rooms/{w.room_b.id}/emergencies/{w.emergency_b.id}/details",
        ROOM_B,
        form=lambda w: {"type": "opioid", "severity": "responsive", "note": "x", **_key("details")},
    ),
    "rooms.referral": Route(
        lambda w: f"/rooms/{w.room_b.id}/visits/{w.visit_b.id}/referrals",
        ROOM_B,
        form=lambda w: {"target": "ost", "mode": "referral", **_key("ref")},
    ),
    "rooms.service": Route(
        lambda w: f"/rooms/{w.room_b.id}/visits/{w.visit_b.id}/services",
        ROOM_B,
        form=lambda w: {"service": "naloxone_kit", "quantity": "1", **_key("svc")},
    ),
    "rooms.incident": Route(
        lambda w: f"/rooms/{w.room_b.id}/incidents",
        ROOM_B,
        form=lambda w: {"type": "other", "narrative": "x", **_key("inc")},
    ),
    "rooms.record": Route(lambda w: f"/rooms/{w.room_b.id}/records/visit/{w.visit_b.id}", ROOM_B),
    "rooms.correct": Route(
        lambda w: f"/rooms/{w.room_b.id}/records/referral/{w.referral_b.id}/correct",
        ROOM_B,
        form=lambda w: {"target": "gp", "mode": "referral", "reason": "attacker"},
    ),
    "rooms.void": Route(
        lambda w: f"/rooms/{w.room_b.id}/records/service/{w.service_b.id}/void",
        ROOM_B,
        form=lambda w: {"reason": "attacker"},
    ),
    # Monthly summary and approval (issue 4): room B's staff read; nobody in the matrix may approve room B.
    "reports.definitions": Route(lambda w: "/reports/definitions", AUTHENTICATED),
    "reports.latest": Route(lambda w: f"/reports/{w.room_b.id}/", ROOM_B),
    "reports.summary": Route(lambda w: f"/reports/{w.room_b.id}/{w.month_b}", ROOM_B),
    "reports.pdf": Route(lambda w: f"/reports/{w.room_b.id}/{w.month_b}.pdf", ROOM_B),
    "reports.approve": Route(
        lambda w: f"/reports/{w.room_b.id}/{w.month_b}/approve",
        form=lambda w: {"password": Factory.PASSWORD, "backdated_reviewed": "y"},
    ),
    "reports.reopen": Route(lambda w: f"/reports/{w.room_b.id}/{w.month_b}/reopen", form=lambda w: {"reason": "x"}),
    "reports.lock_exception": Route(
        lambda w: f"/reports/{w.room_b.id}/{w.month_b}/lock-exception",
        form=lambda w: {"until": "2026-12-31", "reason": "x"},
    ),
    "reports.accept": Route(lambda w: f"/reports/{w.room_b.id}/{w.month_b}/accept", form=lambda w: {"next": "/"}),
    # Municipality, national and annual reports (issue 5): aggregates only, each for its own scope.
    "municipality.index": Route(lambda w: f"/municipality/?room={w.room_b.id}", frozenset({"municipality_other"})),
    "municipality.export": Route(lambda w: "/municipality/export.csv", frozenset({"municipality_other"})),
    "national.index": Route(lambda w: "/national/", frozenset({"national"})),
    "national.export": Route(lambda w: "/national/export.csv", frozenset({"national"})),
    "annual.report": Route(lambda w: f"/annual/{w.kommune_b}/2025", frozenset({"national"})),
    "annual.pdf": Route(lambda w: f"/annual/{w.kommune_b}/2025.pdf", frozenset({"national"})),
    "annual.workbook": Route(lambda w: f"/annual/{w.kommune_b}/2025.xlsx", frozenset({"national"})),
    "api.indicators": Route(lambda w: "/api/v1/indicators", bearer=True),
    "api.rooms": Route(lambda w: "/api/v1/rooms", bearer=True),
    "api.aggregates": Route(
        lambda w: f"/api/v1/aggregates?from=2026-01&to=2026-10&granularity=month&room={w.room_b.id}", bearer=True
    ),
    "api.openapi": Route(lambda w: "/api/v1/openapi.json", public=True),
    "health.healthz": Route(lambda w: "/healthz", public=True, may_be_unavailable=True),
}


def db_fingerprint(engine: Any) -> dict[str, str]:
    """Return a hash of every table's rows (sorted), to prove a request changed nothing."""
    import hashlib

    from sqlalchemy import select

    from roomlog.models import Base

    result: dict[str, str] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            result[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return result


def concrete_methods(rule: Any) -> list[str]:
    """Return the methods the security tests exercise for a rule (GET and POST)."""
    return [m for m in ("GET", "POST") if m in rule.methods]
