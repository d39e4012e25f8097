"""A small load generator for the capture benchmark: threads, plain ``http.client``, no keep-alive.

Each simulated tablet posts idempotent submissions; a failed attempt (connection refused,
reset, 5xx) is retried with the same key until it is acknowledged, like the offline outbox.
Gunicorn's sync workers close every connection, so each attempt opens a new one.
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

TIMEOUT_S = 30


@dataclass
class Tablet:
    """One simulated tablet: where it posts, its cookie and the fields every form carries."""

    path: str
    fields: dict[str, str] = field(default_factory=dict)
    cookie: str = ""


@dataclass
class Result:
    """What one load run saw."""

    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    acked: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def throughput(self) -> float:
        return len(self.acked) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        values = sorted(self.latencies_ms)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def post(port: int, tablet: Tablet, key: str) -> int:
    """Send one submission; return the status (Set-Cookie updates the tablet's cookie)."""
    body = urllib.parse.urlencode({**tablet.fields, "idempotency_key": key})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "close"}
    if tablet.cookie:
        headers["Cookie"] = tablet.cookie
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        conn.request("POST", tablet.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        for cookie in response.msg.get_all("Set-Cookie") or ():  # the session's; not the Undo offer's
            if "session=" in cookie.split(";", 1)[0]:
                tablet.cookie = cookie.split(";", 1)[0]
        return response.status
    finally:
        conn.close()


def _submit(port: int, tablet: Tablet, result: Result, ok: int, deadline: float) -> None:
    """Post one new key until it is acknowledged (retries keep the key), recording latency and errors."""
    key = uuid.uuid4().hex
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            status = post(port, tablet, key)
        except OSError:
            status = 0
        elapsed = (time.perf_counter() - start) * 1000
        if status == ok:
            with result.lock:
                result.latencies_ms.append(elapsed)
                result.acked.append(key)
            return
        with result.lock:
            result.errors += 1
        time.sleep(0.05)


def _run(workers: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=w, daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def closed_loop(port: int, tablets: list[Tablet], seconds: float, ok: int = 303) -> Result:
    """Every tablet posts again as soon as it is answered (saturation)."""
    result = Result()
    start = time.monotonic()
    stop = start + seconds

    def tablet_loop(tablet: Tablet) -> None:
        while time.monotonic() < stop:
            _submit(port, tablet, result, ok, stop + TIMEOUT_S)

    _run([lambda t=t: tablet_loop(t) for t in tablets])
    result.seconds = time.monotonic() - start
    return result


def paced(port: int, tablets: list[Tablet], seconds: float, every: float = 5.0, ok: int = 303) -> Result:
    """Every tablet posts once every ``every`` seconds, spread evenly (an open, steady load)."""
    result = Result()
    start = time.monotonic()
    stop = start + seconds

    def tablet_loop(n: int, tablet: Tablet) -> None:
        due = start + every * n / len(tablets)
        while due < stop:
            time.sleep(max(0.0, due - time.monotonic()))
            _submit(port, tablet, result, ok, stop + TIMEOUT_S)
            due += every

    _run([lambda n=n, t=t: tablet_loop(n, t) for n, t in enumerate(tablets)])
    result.seconds = time.monotonic() - start
    return result
