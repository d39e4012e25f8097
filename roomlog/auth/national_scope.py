"""Lift a request's room scope while the domain works for the whole country (publishing after an approval).

The read side and publication never touch the request: the caller passes :func:`national_scope`
to ``publish_due`` (through ``services.publication.Publishing``), which enters it around its reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, has_request_context
from sqlalchemy import text
from sqlalchemy.orm import Session

from roomlog.auth.scoping import ALL_ROOMS, scope_setting


@contextmanager
def national_scope(session: Session) -> Iterator[None]:
    """Lift the request's room scope (ORM and PostgreSQL setting) while publishing for the country."""
    saved = g.get("scope_room_ids") if has_request_context() else None
    if has_request_context():
        g.scope_room_ids = None
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # ALL_ROOMS ("*") is the every-room scope of the row-level security policies (roomlog/row_security.py):
        # a lead's approval publishes for the whole country, and the table is protected before use.
        session.execute(text("SELECT set_config('roomlog.room_ids', :ids, true)"), {"ids": ALL_ROOMS})
    try:
        yield
    finally:
        if has_request_context():
            g.scope_room_ids = saved
            if postgres and saved is not None:
                session.execute(
                    text("SELECT set_config('roomlog.room_ids', :ids, true)"), {"ids": scope_setting(saved)}
                )
