"""Profile roomlog's anonymous-visit POST in-process (``python -m bench.profile_capture``).

Sets up a migrated SQLite (or ``--url``) database like the capture benchmark, logs one staff
tablet in through the real forms, warms up, then runs ``--requests`` POSTs under cProfile and
prints the call count per request and the most expensive functions (cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import tempfile
import time
import uuid
from pathlib import Path

from bench.servers import DATA_KEY, PASSWORD, PSEUDONYM, SECRET, setup_roomlog

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def main(argv: list[str] | None = None) -> int:
    """Profile the capture POST and print the hot spots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="roomlog-profile-"))
    url = args.url or f"sqlite:///{work / 'profile.sqlite3'}"
    setup = setup_roomlog(url, work / "instance")
    os.environ.update(
        ROOMLOG_ENV="production",
        ROOMLOG_DATABASE_URL=url,
        ROOMLOG_SECRET_KEY=SECRET,
        ROOMLOG_PSEUDONYM_KEY=PSEUDONYM,
        ROOMLOG_DATA_KEY=DATA_KEY,
        ROOMLOG_SECURE_COOKIES="0",
        ROOMLOG_LOG_FILE=str(work / "roomlog.jsonl"),
    )
    from roomlog import create_app

    app = create_app()
    client = app.test_client()
    token = _CSRF.search(client.get("/auth/login").get_data(as_text=True))
    if token is None:
        raise RuntimeError("no log-in form")
    login = {"username": setup.usernames[0], "password": PASSWORD, "csrf_token": token.group(1)}
    if client.post("/auth/login", data=login).status_code != 302:
        raise RuntimeError("log-in failed")
    token = _CSRF.search(client.get(f"/rooms/{setup.room_id}/check-in").get_data(as_text=True))
    if token is None:
        raise RuntimeError("no capture form")
    csrf = token.group(1)
    path = f"/rooms/{setup.room_id}/visits/anonymous"

    def one() -> None:
        response = client.post(path, data={"csrf_token": csrf, "idempotency_key": uuid.uuid4().hex})
        if response.status_code != 303:
            raise RuntimeError(f"capture POST answered {response.status_code}")

    for _ in range(30):
        one()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(args.requests):
        one()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    per = 1000 / args.requests
    print(f"without the profiler: {cpu * per:.2f} ms CPU, {wall * per:.2f} ms wall per request")
    if args.no_profile:
        return 0
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        one()
    profile.disable()
    if os.environ.get("PROFILE_DUMP"):
        profile.dump_stats(os.environ["PROFILE_DUMP"])
    stats = pstats.Stats(profile)
    print(f"function calls per request: {stats.total_calls / args.requests:.0f}")  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats("roomlog/", args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
