"""The API's rate limits: one budget per token for every endpoint, where following a page's cursor is free once.

``ROOMLOG_API_RATE_LIMIT`` (default 120 per minute) is the budget of every request of a token
(of a client address without a valid token). A pull of a whole table is one request for its first
page and one more for each ``next`` it follows: those following pages cost nothing from the
budget the first time the token follows that cursor in the budget's period, so a client that pulls
the same table a few times a minute is not refused for the size of the table. Abuse stays limited:

- following a cursor again (a loop over one cursor) costs 1 like any request, from the second time;
- every page asked for with a cursor also counts on a second budget of the token,
  :data:`PAGE_FACTOR` times the first over the same periods, so free pages are bounded too (many
  tiny pages, ``limit=1``);
- a cursor the API did not sign costs 1.
"""

from __future__ import annotations

import hashlib

from flask import current_app, g, request
from limits import parse_many

from roomlog.api.paging import signed
from roomlog.auth.tokens import rate_limit_key
from roomlog.extensions import limiter

#: The page budget (requests that follow a cursor) is this many times the token's budget.
PAGE_FACTOR = 10


def budget() -> str:
    """The token's budget for every request (``ROOMLOG_API_RATE_LIMIT``)."""
    return str(current_app.config["API_RATE_LIMIT"])


def page_budget() -> str:
    """The budget of pages asked for with a cursor: :data:`PAGE_FACTOR` times :func:`budget`."""
    return "; ".join(
        f"{item.amount * PAGE_FACTOR} per {item.multiples} {item.GRANULARITY.name}" for item in parse_many(budget())
    )


def _cursor() -> str | None:
    """The cursor of an ``/aggregates`` request, when the API signed it."""
    text = request.args.get("cursor")
    if request.endpoint != "api.aggregates" or not text:
        return None
    return text if signed(text, str(current_app.config["SECRET_KEY"])) else None


def not_a_following_page() -> bool:
    """Whether the request follows no cursor (the page budget exempts it)."""
    return _cursor() is None


def cost() -> int:
    """What a request costs from the token's budget: 0 for a cursor followed for the first time, else 1."""
    found: int | None = g.get("api_rate_cost")  # decided once a request, whatever limits ask for it
    if found is None:
        found = g.api_rate_cost = _cost()
    return found


def _cost() -> int:
    text = _cursor()
    if text is None:
        return 1
    period = max(item.get_expiry() for item in parse_many(budget()))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    followed = limiter.storage.incr(f"api-cursor/{rate_limit_key()}/{digest}", period)
    return 0 if followed == 1 else 1
