"""The per-transaction switches that open the database's guards for the maintenance that needs them.

The month-lock and append-only triggers (migration ``reliability_locks``) let a transaction through
when it sets ``roomlog.history_load`` or ``roomlog.retention_purge`` for itself; the schema owner's
roles decide who may (migration ``security_roles_and_secrets``). SQLite has no such triggers: nothing
to switch. No Flask here: operations (bulk history, the demo, retention) call these directly.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def _set_local(session: Session, name: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT set_config(:name, 'on', true)"), {"name": name})


def allow_history_load(session: Session) -> None:
    """Let this transaction insert events into locked months (bulk history and demo loads only)."""
    _set_local(session, "roomlog.history_load")


def allow_retention_purge(session: Session) -> None:
    """Let this transaction delete event rows (``roomlog purge`` only, for approved months)."""
    _set_local(session, "roomlog.retention_purge")
