"""Validators and compression for ``/api/v1``: strong ETags and ``Last-Modified`` from the stored publication.

The ETag is computed from what the answer is made of (the latest publication rows, the rooms,
the definitions, the token's scope and the query), before any body is built, so a matching
``If-None-Match`` (or ``If-Modified-Since``) answers ``304`` without doing the work.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
from dataclasses import dataclass

from flask import request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from roomlog.models import Municipality, Publication, Room
from roomlog.reporting.exports import definitions_version

#: Private data behind a token: any cache must be the client's own and revalidate every time.
CACHE_CONTROL = "private, no-cache"
VARY = "Authorization, Accept, Accept-Encoding, Accept-Language"
COMPRESSIBLE = ("application/json", "text/csv")
GZIP_SUFFIX = "-gzip"
#: Bodies above this size are gzipped at level 1, not 6: a JSON page of 10,000 rows (3 MB) in a third of
#: the time, for a third more bytes (about 110 kB instead of 80 kB).
FAST_GZIP_FROM = 1 << 20


@dataclass(frozen=True)
class State:
    """The version of the stored publication and rooms an answer is read from."""

    version: str
    last_modified: dt.datetime | None


def publication_state(session: Session) -> State:
    """Latest publication id, count and time, the rooms (as this token sees them) and the definitions."""
    count, newest, published = session.execute(
        select(func.count(Publication.id), func.max(Publication.id), func.max(Publication.published_at))
    ).one()
    rooms = session.execute(
        select(Room.id, Room.name, Room.municipality_code, Room.opened_on, Room.permit_status, Municipality.name)
        .join(Municipality)
        .order_by(Room.id)
    ).all()
    text = repr((count, newest, published, [tuple(r) for r in rooms], definitions_version()))
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=dt.UTC)
    return State(version, published.replace(microsecond=0) if published else None)


def etag_for(state: State, *parts: object) -> str:
    """The strong ETag (unquoted) of one representation: the state plus what else shapes the body."""
    query = sorted(request.args.items(multi=True))
    text = repr((state.version, request.endpoint, query, request.accept_mimetypes.to_header(), parts))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def not_modified(etag: str, state: State, mimetype: str) -> Response | None:
    """A ``304`` when the client's validators match, else ``None`` (``If-None-Match`` wins over the date)."""
    if "If-None-Match" in request.headers:
        tags = request.if_none_match
        match = tags.star_tag or any(t in (etag, etag + GZIP_SUFFIX) for t in tags.as_set())
    elif request.if_modified_since is not None and state.last_modified is not None:
        match = state.last_modified <= request.if_modified_since
    else:
        match = False
    if not match:
        return None
    response = Response(status=304, mimetype=mimetype)
    return validated(response, etag, state)


def validated(response: Response, etag: str, state: State) -> Response:
    """Set ``ETag``, ``Last-Modified``, ``Cache-Control`` and ``Vary`` on a response."""
    response.set_etag(etag)
    if state.last_modified is not None:
        response.last_modified = state.last_modified
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = VARY
    return response


def accepts_gzip() -> bool:
    """Whether the client takes ``Content-Encoding: gzip``."""
    return request.accept_encodings["gzip"] > 0


def compress(response: Response) -> Response:
    """gzip JSON and CSV for a client that accepts it; the ETag of the gzip form ends in ``-gzip``."""
    if response.mimetype not in COMPRESSIBLE or not accepts_gzip() or "Content-Encoding" in response.headers:
        return response
    if response.status_code not in (200, 304) or response.direct_passthrough:
        return response
    tag, weak = response.get_etag()
    if tag and not weak:
        response.set_etag(tag + GZIP_SUFFIX)
    if "Accept-Encoding" not in response.headers.get("Vary", ""):
        response.vary.add("Accept-Encoding")
    if response.status_code == 200:
        data = response.get_data()
        response.set_data(gzip.compress(data, compresslevel=1 if len(data) > FAST_GZIP_FROM else 6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return response
