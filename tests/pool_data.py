"""Pool objects for tests: applications drafted, submitted, decided and paid through the real services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g

from roomlog.models import Municipality, PoolApplication, PoolPayment, Room
from roomlog.models.codes import PaymentKind
from roomlog.services import pool_applications, pool_decisions
from tests.factories import Factory

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
