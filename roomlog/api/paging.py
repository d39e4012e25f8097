"""Cursor pagination of ``/api/v1`` lists: page sizes, signed cursors bound to the query and the publication."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import MultiDict

from roomlog.reporting.windows import WindowError

#: Rows per page when ``limit`` is not given: JSON pages (the largest: two years of months for the whole
#: country is three pages), and CSV/XLSX files (a whole table up to this size).
DEFAULT_LIMIT = {"json": 10_000, "csv": 100_000, "xlsx": 100_000}
#: The largest page; a larger ``limit`` is served as this many rows (the body's ``limit`` says so).
MAX_LIMIT = {"json": 10_000, "csv": 100_000, "xlsx": 100_000}
LIMIT_CEILING = max(MAX_LIMIT.values())
SALT = "roomlog-api-cursor"


class CursorGone(Exception):
    """The cursor was made from an earlier version of the publication: restart from the first page."""


@dataclass(frozen=True)
class Page:
    """Which rows to serve: ``offset`` and ``limit``, under the query key and publication version."""

    offset: int
    limit: int
    query_key: str
    version: str


def query_key(args: MultiDict[str, str], scope: str) -> str:
    """A digest of the query (without ``cursor``, ``limit`` and ``lang``) and the token's scope."""
    kept = sorted((k, v) for k, values in args.lists() for v in values if k not in ("cursor", "limit", "lang"))
    return hashlib.sha256(repr((kept, scope)).encode("utf-8")).hexdigest()[:24]


def parse_limit(text: str | None, fmt: str) -> int:
    """The page size: ``limit`` if given (a whole number ≥ 1; above the format's maximum it is capped)."""
    if text is None:
        return DEFAULT_LIMIT[fmt]
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise WindowError("limit", f"'limit' must be a whole number from 1 to {LIMIT_CEILING}")
    if int(text) > LIMIT_CEILING:
        raise WindowError("limit", f"'limit' must be a whole number from 1 to {LIMIT_CEILING}")
    return min(int(text), MAX_LIMIT[fmt])


def signed(text: str, secret: str) -> bool:
    """Whether ``text`` is a cursor this API gave out (for any query or version)."""
    try:
        URLSafeSerializer(secret, salt=SALT).loads(text)
    except (BadSignature, ValueError, TypeError):
        return False
    return True


def parse_page(args: MultiDict[str, str], fmt: str, key: str, version: str, secret: str) -> Page:
    """The page a request asks for; a bad cursor raises :class:`WindowError`, a stale one :class:`CursorGone`."""
    limit = parse_limit(args.get("limit"), fmt)
    text = args.get("cursor")
    if not text:  # no cursor, or an empty one: the first page
        return Page(0, limit, key, version)
    try:
        data = URLSafeSerializer(secret, salt=SALT).loads(text)
    except (BadSignature, ValueError, TypeError):
        raise WindowError("cursor", "'cursor' is not a cursor this API gave out; start without it") from None
    if not isinstance(data, list) or len(data) != 3 or not isinstance(data[0], int) or data[0] < 0:
        raise WindowError("cursor", "'cursor' is not a cursor this API gave out; start without it")
    offset, cursor_key, cursor_version = data
    if cursor_key != key:
        raise WindowError("cursor", "'cursor' belongs to another query; repeat the query it came with")
    if cursor_version != version:
        raise CursorGone()
    return Page(offset, limit, key, version)


def next_cursor(page: Page, total: int, secret: str) -> str | None:
    """The cursor of the following page, or ``None`` on the last one."""
    following = page.offset + page.limit
    if following >= total:
        return None
    return URLSafeSerializer(secret, salt=SALT).dumps([following, page.query_key, page.version])


def next_url(path: str, args: MultiDict[str, str], cursor: str | None) -> str | None:
    """The URL of the following page: the same query with the new ``cursor``."""
    if cursor is None:
        return None
    pairs = [(k, v) for k, values in args.lists() for v in values if k != "cursor"]
    return f"{path}?{urlencode([*pairs, ('cursor', cursor)])}"
