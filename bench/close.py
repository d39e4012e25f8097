"""``python -m bench.close``: how long closing a month takes on a database with history, phase by phase.

Reproducible and read-only: in one transaction that is rolled back, the latest published month (or
``--month``: ``--month 2025-12`` closes a year), with its quarter and year, is removed from the store
and published again as closing it would, then ``publish_due`` runs once more with nothing due (what
every approval costs). Prints wall and CPU time per run, the hidden cells of what was published, and
the functions that took the most time (cProfile, cumulative).

    ROOMLOG_DATABASE_URL=sqlite:///instance/bench/bench.db .venv/bin/python -m bench.close
    ROOMLOG_INSTANCE_PATH=/tmp/demo-copy .venv/bin/python -m bench.close --month 2025-12
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import Counter

from sqlalchemy import delete, func, select

from bench.server import environment


def main() -> None:
    """Time closing the latest published month (or ``--month``) and a publish with nothing due."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--month", help="close this published month instead of the latest (2025-12: a year close)")
    args = parser.parse_args()
    url = os.environ.get("ROOMLOG_DATABASE_URL")
    if url:
        os.environ.update({k: v for k, v in environment(url).items() if k.startswith("ROOMLOG_")})
    elif not os.environ.get("ROOMLOG_INSTANCE_PATH"):
        raise SystemExit("set ROOMLOG_DATABASE_URL (or ROOMLOG_INSTANCE_PATH) to a database with published history")
    from flask import g

    from roomlog import create_app
    from roomlog.auth.national_scope import national_scope
    from roomlog.calendar import today_local
    from roomlog.extensions import db
    from roomlog.models import Publication, PublishedCell
    from roomlog.reporting.publication import publish_due
    from roomlog.reporting.publication.units import parts_of_label

    app = create_app({"DATABASE_AS_OWNER": True})
    with app.test_request_context():
        g.scope_room_ids, g.scope_decided = None, True
        session = db.session
        threshold = app.config.get("SUPPRESSION_THRESHOLD", 5)
        lock = app.config.get("LOCK_AFTER_DAYS", 15)
        month = args.month or session.scalar(select(func.max(Publication.period)).where(Publication.kind == "month"))
        if month is None:
            raise SystemExit("nothing is published yet: run `roomlog publish` first")
        year, quarter = month[:4], next(q for q in parts_of_label(month[:4]) if month in parts_of_label(q))
        ids = session.scalars(select(Publication.id).where(Publication.period.in_((month, quarter, year)))).all()
        session.execute(delete(PublishedCell).where(PublishedCell.publication_id.in_(ids)))
        session.execute(delete(Publication).where(Publication.id.in_(ids)))
        session.flush()
        for name in (f"close {month} (with {quarter} and {year} when complete)", "publish with nothing due"):
            profile = cProfile.Profile()
            started, cpu = time.perf_counter(), time.process_time()
            profile.enable()
            out = publish_due(
                session, today_local(), threshold=threshold, lock_after_days=lock, national_scope=national_scope
            ).periods
            profile.disable()
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"{name}: {took:.2f} s, {cpu:.1f} CPU-s, published {out}")
            if out:
                hidden = Counter(
                    (level, kind)
                    for kind, level in session.execute(
                        select(Publication.kind, PublishedCell.unit_kind)
                        .join(Publication, Publication.id == PublishedCell.publication_id)
                        .where(Publication.period.in_(out), PublishedCell.hidden)
                    )
                )
                print(f"  hidden cells of what was published (level, period kind): {dict(sorted(hidden.items()))}")
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(r"roomlog|highspy", 18)
            print("\n".join(line for line in text.getvalue().splitlines() if line.strip())[-2600:])
        session.rollback()


if __name__ == "__main__":
    sys.exit(main())
