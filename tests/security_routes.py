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
from tests.support.factories import Factory
from tests.support.worlds import pool_world

ROLES = ("anonymous", "staff_a", "lead_a", "staff_b", "municipality_other", "national", "admin")
AUTHENTICATED = frozenset(ROLES) - {"anonymous"}
ROOM_B = frozenset({"staff_b"})  # the only one in the matrix who works in room B
ADMIN = frozenset({"admin"})
ROOM_USERS = frozenset({"staff_a", "lead_a", "staff_b"})
NATIONAL = frozenset({"national"})
KOMMUNE = frozenset({"municipality_other"})  # kommune 101 (room A), never tenant B's


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
    with make.app.app_context():
        from flask_migrate import stamp

        from roomlog.extensions import db

        if db.engine.dialect.name == "sqlite":  # PostgreSQL's test schema is stamped by its owner (conftest)
            stamp()  # the schema was built from the models: mark it as at head, so /healthz answers 200
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
        extra=pool_world(make, room_b),
    )


@dataclass(frozen=True)
class Route:
    """How to reach one endpoint with tenant B's objects, and who may."""

    url: Callable[[World], str]
    allowed: frozenset[str] = frozenset()
    public: bool = False  # on the login allow-list: anyone may call it
    form: Callable[[World], dict[str, Any]] | None = None
    #: The same endpoint with room A in the path but a tenant-B object (an IDOR probe): nobody may.
    mixed: Callable[[World], str] | None = None
    #: JSON API with bearer tokens: a browser session (any role) gets 401; ``public`` = no token needed.
    api: bool = False
    #: POST changes the caller's own session/account only (login, logout, language): not a tenant object.
    self_service: bool = False


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


ROUTES: dict[str, Route] = {
    "static": Route(lambda w: "/static/css/app.css", public=True),
    "home.index": Route(lambda w: "/", AUTHENTICATED),
    "auth.login": Route(lambda w: "/auth/login", public=True, self_service=True),
    "auth.two_factor": Route(lambda w: "/auth/two-factor", AUTHENTICATED, form=lambda w: {"code": "123456"}),
    "auth.keepalive": Route(lambda w: "/auth/keepalive", AUTHENTICATED),
    "auth.logout": Route(lambda w: "/auth/logout", public=True, self_service=True),
    "auth.logout_everywhere": Route(lambda w: "/auth/logout-everywhere", AUTHENTICATED, self_service=True),
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
}


def _key() -> str:
    import uuid

    return uuid.uuid4().hex


def _room(path: str) -> Callable[[World], str]:
    """``/rooms/{room}/…`` with room B and B's objects: ``{visit}``, ``{consumption}``, ``{emergency}``, …"""
    return lambda w: path.format(room=w.room_b.id, **_objects(w))


def _mixed(path: str) -> Callable[[World], str]:
    """The same path under room A (where staff_a and lead_a work) with room B's objects."""
    return lambda w: path.format(room=w.room_a.id, **_objects(w))


def _objects(w: World) -> dict[str, int]:
    return {
        "visit": w.visit_b.id,
        "consumption": w.consumption_b.id,
        "emergency": w.emergency_b.id,
        "referral": w.referral_b.id,
        "service": w.service_b.id,
    }


def _capture(path: str, form: Callable[[World], dict[str, Any]] | None = None, *, mixed: bool = True) -> Route:
    return Route(_room(path), ROOM_B, form=form, mixed=_mixed(path) if mixed else None)


# Routes of other branches, checked as soon as their endpoint exists in the app (so the
# table needs no edit at merge time); the meta-test treats them like ROUTES entries.
PENDING_ROUTES: dict[str, Route] = {
    # capture (roomlog/rooms/*_views.py)
    "rooms.board_live": _capture("/rooms/{room}/board/live", mixed=False),
    "rooms.check_in": _capture(
        "/rooms/{room}/check-in",
        lambda w: {
            "last_letters": "abc",
            "first_letters": "de",
            "birth_day": "1",
            "birth_month": "2",
            "birth_year": "1980",
            "sex": "m",
            "nationality": "dk",
            "idempotency_key": _key(),
        },
        mixed=False,
    ),
    "rooms.anonymous_visit": _capture(
        "/rooms/{room}/visits/anonymous", lambda w: {"idempotency_key": _key()}, mixed=False
    ),
    "rooms.turn_away": _capture(
        "/rooms/{room}/turn-away", lambda w: {"turn_away_reason": "capacity", "idempotency_key": _key()}, mixed=False
    ),
    "rooms.visit": _capture("/rooms/{room}/visits/{visit}"),
    "rooms.check_out": _capture("/rooms/{room}/visits/{visit}/check-out", lambda w: {"idempotency_key": _key()}),
    "rooms.consumption": _capture(
        "/rooms/{room}/visits/{visit}/consumptions",
        lambda w: {"route": "inject", "substances": "heroin", "assisted": "no", "idempotency_key": _key()},
    ),
    "rooms.assisted": _capture(
        "/rooms/{room}/consumptions/{consumption}/assisted", lambda w: {"assisted": "yes", "idempotency_key": _key()}
    ),
    "rooms.end_consumption": _capture(
        "/rooms/{room}/consumptions/{consumption}/end", lambda w: {"idempotency_key": _key()}
    ),
    "rooms.record": _capture("/rooms/{room}/records/visit/{visit}"),
    "rooms.correct": _capture(
        "/rooms/{room}/records/consumption/{consumption}/correct",
        lambda w: {"route": "smoke", "reason": "probe", "idempotency_key": _key()},
    ),
    "rooms.void": _capture(
        "/rooms/{room}/records/visit/{visit}/void",
        lambda w: {"reason": "probe", "confirm": "y", "idempotency_key": _key()},
    ),
    "rooms.open_emergency": _capture(
        "/rooms/{room}/emergencies", lambda w: {"visit_id": str(w.visit_b.id), "idempotency_key": _key()}, mixed=False
    ),
    "rooms.emergency": _capture("/rooms/{room}/emergencies/{emergency}"),
    "rooms.emergency_timeline": _capture("/rooms/{room}/emergencies/{emergency}/timeline"),
    "rooms.emergency_action": _capture(
        "/rooms/{room}/emergencies/{emergency}/actions",
        lambda w: {"action": "naloxone", "naloxone_route": "in", "naloxone_dose_mg": "1.8", "idempotency_key": _key()},
    ),
    "rooms.emergency_outcome": _capture(
        "/rooms/{room}/emergencies/{emergency}/outcome", lambda w: {"outcome": "stayed", "idempotency_key": _key()}
    ),
    "rooms.emergency_details": _capture(
        "/rooms/{room}/emergencies/{emergency}/details", lambda w: {"type": "opioid", "note": "probe"}
    ),
    "rooms.emergency_reopen": _capture("/rooms/{room}/emergencies/{emergency}/reopen", lambda w: {}),
    "rooms.emergency_cancel": _capture("/rooms/{room}/emergencies/{emergency}/cancel", lambda w: {}),
    "rooms.emergency_handover": _capture("/rooms/{room}/emergencies/{emergency}/handover"),
    "rooms.end_of_shift": _capture("/rooms/{room}/end-of-shift", mixed=False),
    "rooms.undo_last": _capture(
        "/rooms/{room}/undo", lambda w: {"kind": "service", "record_id": str(w.service_b.id)}, mixed=False
    ),
    "rooms.referral": _capture(
        "/rooms/{room}/visits/{visit}/referrals", lambda w: {"target": "ost", "idempotency_key": _key()}
    ),
    "rooms.service": _capture(
        "/rooms/{room}/visits/{visit}/services",
        lambda w: {"service": "naloxone_kit", "quantity": "1", "idempotency_key": _key()},
    ),
    "rooms.incident": _capture(
        "/rooms/{room}/incidents", lambda w: {"type": "dealing", "idempotency_key": _key()}, mixed=False
    ),
    # reporting (roomlog/reports/views.py): the monthly summary of room B
    "reports.latest": Route(lambda w: f"/reports/{w.room_b.id}/", ROOM_B),
    "reports.summary": Route(lambda w: f"/reports/{w.room_b.id}/{w.month_b}", ROOM_B),
    "reports.pdf": Route(lambda w: f"/reports/{w.room_b.id}/{w.month_b}.pdf", ROOM_B),
    "reports.approve": Route(lambda w: f"/reports/{w.room_b.id}/{w.month_b}/approve", form=lambda w: {"confirm": "y"}),
    "reports.lock_exception": Route(
        lambda w: f"/reports/{w.room_b.id}/{w.month_b}/lock-exception", form=lambda w: {"reason": "probe"}
    ),
    "reports.reopen": Route(lambda w: f"/reports/{w.room_b.id}/{w.month_b}/reopen", form=lambda w: {"reason": "probe"}),
    "reports.accept": Route(lambda w: f"/reports/{w.room_b.id}/{w.month_b}/accept", form=lambda w: {"confirm": "y"}),
    "reports.definitions": Route(lambda w: "/reports/definitions", AUTHENTICATED),
    # aggregates (roomlog/municipality, national, annual, api): municipality_other is kommune 101, B is 461
    "municipality.index": Route(lambda w: "/municipality/", frozenset({"municipality_other"})),
    "municipality.export": Route(lambda w: "/municipality/export.csv", frozenset({"municipality_other"})),
    "municipality.datapackage": Route(
        lambda w: "/municipality/export.datapackage.json", frozenset({"municipality_other"})
    ),
    "national.index": Route(lambda w: "/national/", frozenset({"national"})),
    "national.export": Route(lambda w: "/national/export.csv", frozenset({"national"})),
    "national.datapackage": Route(lambda w: "/national/export.datapackage.json", frozenset({"national"})),
    "annual.report": Route(lambda w: f"/annual/{w.kommune_b}/2025", frozenset({"national"})),
    "annual.pdf": Route(lambda w: f"/annual/{w.kommune_b}/2025.pdf", frozenset({"national"})),
    "annual.workbook": Route(lambda w: f"/annual/{w.kommune_b}/2025.xlsx", frozenset({"national"})),
    "annual.national": Route(lambda w: "/annual/national/2025", frozenset({"national"})),
    "annual.national_pdf": Route(lambda w: "/annual/national/2025.pdf", frozenset({"national"})),
    "annual.national_workbook": Route(lambda w: "/annual/national/2025.xlsx", frozenset({"national"})),
    "admin.tokens": Route(
        lambda w: "/admin/tokens", ADMIN, form=lambda w: {"user_id": str(w.users["national"].id), "name": "probe"}
    ),
    "admin.token_revoke": Route(lambda w: "/admin/tokens/1/revoke", ADMIN),
    "admin.throttles": Route(lambda w: "/admin/throttles", ADMIN),
    "admin.throttle_clear": Route(lambda w: f"/admin/throttles/{'0' * 64}/clear", ADMIN),
    "api.indicators": Route(lambda w: "/api/v1/indicators", api=True),
    "api.rooms": Route(lambda w: "/api/v1/rooms", api=True),
    "api.aggregates": Route(lambda w: f"/api/v1/aggregates?room={w.room_b.id}", api=True),
    "api.aggregates_datapackage": Route(lambda w: "/api/v1/aggregates.datapackage.json", api=True),
    "api.openapi": Route(lambda w: "/api/v1/openapi.json", api=True, public=True),
    "health.healthz": Route(lambda w: "/healthz", public=True),
    # the pool (roomlog/pool, roomlog/applications, admin permit, API): B's application is Odense's (461)
    "admin.room_permit": Route(
        lambda w: f"/admin/rooms/{w.room_b.id}/permit",
        ADMIN,
        form=lambda w: {"status": "withdrawn", "on_date": "2025-01-02", "note": "probe"},
    ),
    "applications.index": Route(lambda w: "/applications/", KOMMUNE),
    "applications.new": Route(
        lambda w: "/applications/new",
        KOMMUNE,
        form=lambda w: {"room_id": str(w.room_a.id), "establishment_budget": "100", "establishment_requested": "50"},
    ),
    "applications.detail": Route(lambda w: f"/applications/{w.extra['application_b']}"),
    "applications.establishment": Route(
        lambda w: f"/applications/{w.extra['application_b']}/establishment",
        form=lambda w: {"establishment_budget": "9", "establishment_requested": "9"},
    ),
    "applications.year": Route(
        lambda w: f"/applications/{w.extra['application_b']}/years",
        form=lambda w: {"year": "2026", "operating_budget": "9", "operating_requested": "9", "municipal_funding": "9"},
    ),
    "applications.remove_year": Route(lambda w: f"/applications/{w.extra['application_b']}/years/2025/remove"),
    "applications.submit": Route(lambda w: f"/applications/{w.extra['application_b']}/submit"),
    "applications.own_funding": Route(
        lambda w: f"/applications/{w.extra['application_b']}/years/2025/funding",
        form=lambda w: {"municipal_funding": "1"},
    ),
    "pool.index": Route(lambda w: "/pool/", NATIONAL),
    "pool.workbook": Route(lambda w: "/pool/overview.xlsx", NATIONAL),
    "pool.application": Route(lambda w: f"/pool/applications/{w.extra['application_b']}", NATIONAL),
    "pool.decide": Route(
        lambda w: f"/pool/applications/{w.extra['application_b']}/decide",
        NATIONAL,
        form=lambda w: {"establishment": "0", "operating_2025": "0", "reason": "probe"},
    ),
    "pool.commit_payment": Route(
        lambda w: f"/pool/applications/{w.extra['application_b']}/payments",
        NATIONAL,
        form=lambda w: {"component": "establishment", "amount": "1000"},
    ),
    "pool.pay": Route(lambda w: f"/pool/payments/{w.extra['payment_b']}/pay", NATIONAL),
    "pool.withhold": Route(
        lambda w: f"/pool/payments/{w.extra['payment_b']}/withhold", NATIONAL, form=lambda w: {"reason": "probe"}
    ),
    "pool.letter": Route(lambda w: f"/pool/applications/{w.extra['application_b']}/letter.pdf", NATIONAL),
    "pool.funding": Route(lambda w: "/pool/funding", NATIONAL | KOMMUNE),
    "api.funding": Route(lambda w: "/api/v1/funding", api=True),
    "offline.service_worker": Route(lambda w: "/sw.js", public=True),
    # a room lead discards another user's queued entry (audit log): no lead works in room B here
    "offline.outbox_discarded": Route(
        _room("/rooms/{room}/outbox/discarded"),
        form=lambda w: {
            "owner": str(w.users["staff_b"].id),
            "idempotency_key": _key(),
            "kind": "Anonymt besøg",
            "tapped_at": "2026-10-01T10:00:00+00:00",
            "reason": "probe",
        },
        mixed=_mixed("/rooms/{room}/outbox/discarded"),
    ),
}


def spec_for(endpoint: str) -> Route:
    """Return the expectations of an endpoint (KeyError when the table has none)."""
    return ROUTES[endpoint] if endpoint in ROUTES else PENDING_ROUTES[endpoint]


def probes(spec: Route, world: World) -> list[tuple[str, frozenset[str]]]:
    """Return the URLs to try for an endpoint, each with the roles allowed there."""
    urls = [(spec.url(world), spec.allowed)]
    if spec.mixed:
        urls.append((spec.mixed(world), frozenset()))
    return urls


def db_fingerprint(engine: Any) -> dict[str, str]:
    """Return a hash of every table's rows (sorted), to prove a request changed nothing.

    On PostgreSQL the server hashes every table in one statement (one round trip instead of one per
    table; each row as its text form, sorted); on SQLite each table's rows are read and hashed here, as
    the values SQLite stores (the driver's own cursor: SQLAlchemy's per-statement work and its type
    conversions were two thirds of a fingerprint, and a converted value changes only with its stored one).
    """
    import hashlib

    from sqlalchemy import text

    from roomlog.models import Base

    tables = Base.metadata.sorted_tables
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            parts = [
                f"SELECT {n}, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table.name}\" t"
                for n, table in enumerate(tables)
            ]
            hashes = {n: digest for n, digest in conn.execute(text(" UNION ALL ".join(parts)))}
            return {table.name: hashes[n] for n, table in enumerate(tables)}
        cursor = conn.connection.driver_connection.cursor()  # the same columns select(table) reads
        result: dict[str, str] = {}
        try:
            for table in tables:
                columns = ", ".join(f'"{column.name}"' for column in table.columns)
                rows = sorted(repr(row) for row in cursor.execute(f'SELECT {columns} FROM "{table.name}"'))
                result[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        finally:
            cursor.close()
    return result


class DatabaseState:
    """:func:`db_fingerprint` of ``engine``'s database, hashed again only when a commit may have changed it.

    On SQLite a connection of this object's own (it never writes) reads ``PRAGMA data_version`` before each
    fingerprint: the number is the same as before the last one exactly when no other connection has committed
    since, so the rows are the ones hashed then and that hash is returned. Any commit (a request's, the test's
    own, a copied world) gives a new number and a new hash. The matrix asks after every request, and most
    requests write nothing: the tables were read and hashed ~1,900 times a run for ~4 CPU-s. PostgreSQL: hashed
    every time (one statement in the server).
    """

    def __init__(self, engine: Any) -> None:
        import sqlite3

        self.engine = engine
        url = engine.url
        on_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        self._watch = sqlite3.connect(url.database) if on_file else None
        self._seen: tuple[int, dict[str, str]] | None = None

    def fingerprint(self) -> dict[str, str]:
        """The database's fingerprint now."""
        if self._watch is None:
            return db_fingerprint(self.engine)
        version = self._watch.execute("PRAGMA data_version").fetchone()[0]  # before the hash: a later commit shows
        if self._seen is None or self._seen[0] != version:
            self._seen = (version, db_fingerprint(self.engine))
        return self._seen[1]

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()


def concrete_methods(rule: Any) -> list[str]:
    """Return the methods the security tests exercise for a rule (GET and POST)."""
    return [m for m in ("GET", "POST") if m in rule.methods]
