"""``roomlog audit verify``: check the audit log's hash chain."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from roomlog.extensions import db
from roomlog.models import AuditEntry
from roomlog.services import audit


@click.group("audit")
def audit_group() -> None:
    """Check the audit log."""


@audit_group.command("verify")
@click.option(
    "--expect",
    "expected",
    multiple=True,
    metavar="HASH",
    help="A hash printed by an earlier run; it must still be in the chain (catches removed newest entries).",
)
@with_appcontext
def audit_verify(expected: tuple[str, ...]) -> None:
    """Walk the hash chain of the audit log; exit 1 and name each changed or removed entry."""
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000)
    count = 0
    last = audit.GENESIS
    seen: set[str] = set()

    def counted() -> Iterator[AuditEntry]:
        nonlocal count, last
        for entry in entries:
            count += 1
            last = entry.hash
            if entry.hash in expected:
                seen.add(entry.hash)
            yield entry

    problems = audit.verify(counted())
    problems += [
        f"the entry with hash {h} recorded earlier is gone (entries removed)" for h in expected if h not in seen
    ]
    for problem in problems:
        click.echo(f"TAMPERED {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"Audit log intact: {count} entries, last hash {last}.")
