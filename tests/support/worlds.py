"""The tests' worlds: hand-made aggregate data with known answers, and pool applications through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import g
from sqlalchemy.orm import Session

from roomlog.calendar import today_local
from roomlog.models import MonthlyHistory, Municipality, PoolApplication, PoolPayment, Room, User
from roomlog.models.codes import PaymentKind, Role
from roomlog.services import pool_applications, pool_decisions
from roomlog.services.tokens import create_token
from tests.support import snapshots
from tests.support.factories import Factory

T = TypeVar("T")


def publish(session: Session, today: dt.date | None = None) -> list[str]:
    """Publish every closed period (what approvals and ``roomlog publish`` do)."""
    from roomlog.auth.national_scope import national_scope
    from roomlog.reporting.publication import publish_due

    return publish_due(
        session, today or today_local(), threshold=5, lock_after_days=15, national_scope=national_scope
    ).periods


@dataclass
class World:
    """Three rooms in two municipalities, users and tokens for each scope."""

    skyen: Room
    h17: Room
    odense: Room
    kbh_user: User
    odense_user: User
    national_user: User
    kbh_token: str
    odense_token: str
    national_token: str


def history(session: Session, room: Room, month: str, **values: int) -> None:
    """Imported monthly totals: ``history(s, room, "2021-03", consumptions_total=400)`` (first ``_`` is a dot)."""
    day = dt.date.fromisoformat(month + "-01")
    for name, value in values.items():
        code = name if "." in name else name.replace("_", ".", 1)
        session.add(MonthlyHistory(room_id=room.id, month=day, indicator=code, value=value))
    session.commit()


def build_world(make: Factory, dbs: Session, *, publish_now: bool = True) -> World:
    """Skyen and H17 in København (101), one room in Odense (461); history for 2021 and 2022.

    Built once per session on SQLite; later tests on an empty database get a copy (tests.support.snapshots).
    """
    return kept_world(make, dbs, ("worlds.build_world", publish_now), lambda: _build_world(make, dbs, publish_now))


def kept_world(make: Factory, dbs: Session, name: Hashable, build: Callable[[], World]) -> World:
    """``build()``'s world (build_world's or a module's variant of it, named ``name``), kept like build_world's.

    The first test on an empty database builds it; later ones on an empty database get a copy of its rows.
    ``build`` must make the same world every time (it may start from ``build_world``).
    """
    return kept(make, dbs, name, build, _world_ids, lambda ids: _load_world(dbs, ids))


def kept(
    make: Factory,
    dbs: Session,
    name: Hashable,
    build: Callable[[], T],
    dump: Callable[[T], Any],
    load: Callable[[Any], T],
) -> T:
    """A module's own world of any shape, kept like build_world's (:func:`kept_world`).

    ``dump`` turns the world into plain data (ids, token values), ``load`` turns that back into the world
    through ``dbs`` after the copy. Built afresh for another day, other secrets or other hashing parameters.
    """
    config = make.app.config
    key = (
        name,
        today_local(),
        *(repr(config.get(option)) for option in ("SECRET_KEY", "PSEUDONYM_KEY", "DATA_KEY", "ARGON2_PARAMS")),
    )
    return snapshots.reuse_or_build(dbs, key, build, dump, load)


def _world_ids(world: World) -> tuple[list[int], list[int], list[str]]:
    rooms = [world.skyen.id, world.h17.id, world.odense.id]
    users = [world.kbh_user.id, world.odense_user.id, world.national_user.id]
    return rooms, users, [world.kbh_token, world.odense_token, world.national_token]


def _load_world(dbs: Session, ids: tuple[list[int], list[int], list[str]]) -> World:
    rooms, users, tokens = ids
    return World(
        *(dbs.get_one(Room, room_id) for room_id in rooms), *(dbs.get_one(User, user_id) for user_id in users), *tokens
    )


def _build_world(make: Factory, dbs: Session, publish_now: bool) -> World:
    skyen = make.room("Skyen", "101", opened_on=dt.date(2016, 6, 1))
    h17 = make.room("H17", "101", opened_on=dt.date(2016, 1, 1))
    odense = make.room("Odense Stue", "461", opened_on=dt.date(2021, 1, 1))
    acute = "emergencies.acute_treatments"
    for month in ("2021-01", "2021-02", "2021-03"):
        history(dbs, skyen, month, consumptions_total=100, emergencies_total=10, **{acute: 8})
        history(dbs, h17, month, consumptions_total=50, emergencies_total=3, **{acute: 2})
        history(dbs, odense, month, consumptions_total=20, emergencies_total=0, **{acute: 0})
    for month in ("2022-01", "2022-02", "2022-03"):
        history(dbs, skyen, month, consumptions_total=150, emergencies_total=12, **{acute: 10})
        history(dbs, h17, month, consumptions_total=60, emergencies_total=2, **{acute: 1})
        history(dbs, odense, month, consumptions_total=40, emergencies_total=6, **{acute: 5})
    # The rest of 2021 and 2022 is history too (known zeros): unknown is not zero, so a year with
    # months without data would be unknown (`–`), not the sum of its first quarter.
    for year in (2021, 2022):
        for month in range(4, 13):
            for room in (skyen, h17, odense):
                history(dbs, room, f"{year}-{month:02d}", consumptions_total=0, emergencies_total=0, **{acute: 0})
    kbh_user = make.user(Role.MUNICIPALITY, municipality="101", username="kbh")
    odense_user = make.user(Role.MUNICIPALITY, municipality="461", username="odense")
    national_user = make.user(Role.NATIONAL, username="ministeriet")
    tokens = [create_token(dbs, u).value for u in (kbh_user, odense_user, national_user)]
    if publish_now:
        publish(dbs)
    dbs.commit()
    return World(skyen, h17, odense, kbh_user, odense_user, national_user, *tokens)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


# Pool applications ---------------------------------------------------------------------------

POOL = 25_000_000


@contextmanager
def _as_cli(make: Factory) -> Iterator[None]:
    """A request context (for the services' translated messages) that acts for every room, like the CLI.

    On PostgreSQL an undecided request scope is "no rooms" (row-level security), so the audit
    entries these set-ups write would be refused.
    """
    with make.app.test_request_context():
        g.scope_room_ids = None
        g.scope_decided = True
        yield


def application(
    make: Factory,
    room: Room,
    *,
    year: int = 2025,
    establishment: tuple[int, int] = (1_000_000, 800_000),
    operating: tuple[int, int, int] = (3_000_000, 1_000_000, 1_000_000),
    submit: bool = True,
    grant: dict[str, Any] | None = None,
    pool_total: int = POOL,
) -> PoolApplication:
    """An application for ``room`` with one operating year (budget, asked, own); submitted and decided when asked."""
    s = make.session
    with _as_cli(make):
        app = pool_applications.create_application(
            s, s.get(Municipality, room.municipality_code), actor=None, room=room,
            establishment_budget_kr=establishment[0], establishment_requested_kr=establishment[1],
        )  # fmt: skip
        pool_applications.set_year(
            s, app, actor=None, year=year, budget_kr=operating[0], requested_kr=operating[1], municipal_kr=operating[2]
        )
        if submit:
            pool_applications.submit(s, app, actor=None)
        if grant is not None:
            pool_decisions.decide(
                s, app, actor=None, establishment_kr=grant.get("establishment", establishment[1]),
                operating_kr={year: grant.get("operating", operating[1])}, reason=grant.get("reason", ""),
                pool_total_kr=pool_total,
            )  # fmt: skip
    s.commit()
    return app


def payment(
    make: Factory, app: PoolApplication, kind: PaymentKind, amount: int, year: int | None = None
) -> PoolPayment:
    """Commit a payment of a granted amount."""
    with _as_cli(make):
        row = pool_decisions.commit_payment(make.session, app, actor=None, kind=kind, year=year, amount_kr=amount)
    make.session.commit()
    return row


def pool_world(make: Factory, room_b: Room) -> dict[str, int]:
    """Tenant B's decided application (Odense, 461) with one committed payment, for the security matrix."""
    app = application(make, room_b, grant={})
    return {"application_b": app.id, "payment_b": payment(make, app, PaymentKind.ESTABLISHMENT, 100_000).id}
