"""WeasyPrint once per distinct document, for tests that send many requests for the same PDFs.

Rendering is a pure function of the HTML (and the fixed stylesheet), so a request whose HTML equals an
earlier one's, up to the creation time stamped from the server's clock (wherever the page prints it: the
``dcterms.created`` value and the ``pdf-stamp`` texts, the ones the product's own kept layouts rewrite), cannot
fail where that one passed: it gets the bytes rendered then. Every request still runs the whole view; any
input that changes the HTML is rendered. The fuzzer (60 % of its time on SQLite was the same documents again)
and the tenant matrix (every role's PDF routes, on both databases: the same world, mostly the same HTML) use it,
with one store for the whole run (:class:`SharedDocuments`): both build the same world (tests/security_routes.py)
and ask for the same four documents.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

#: The view modules that turn HTML into a PDF (``from roomlog.web.pdf import render_pdf``).
PDF_VIEWS = ("roomlog.reports.views", "roomlog.annual.views", "roomlog.pool.views")
#: The document's creation time (``templates/pdf/_meta.html``): the server's clock, never the request's input.
CREATED = re.compile(r'<meta name="dcterms.created" content="([^"]+)">')
#: Where the page prints a time of its making (``templates/pdf/_meta.html``, ``templates/reports/_body.html``).
STAMP = re.compile(r'(<span class="pdf-stamp">)[^<]*(</span>)')


class Store(Protocol):
    """Where rendered bytes are kept by key: a dict (one module) or :class:`SharedDocuments` (the whole run)."""

    def __contains__(self, key: object) -> bool: ...
    def __getitem__(self, key: str) -> bytes: ...
    def __setitem__(self, key: str, value: bytes) -> None: ...


class SharedDocuments:
    """Bytes kept for the whole run in ``folder`` (in the directory the run's processes share: conftest's
    ``_shared``), one file per key's digest, written whole (a temporary file renamed), so any process of the run
    reads what another wrote. Two processes that render the same document at once both write the same bytes."""

    def __init__(self, folder: Path, suffix: str) -> None:
        self.folder, self.suffix = folder, suffix
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()}{self.suffix}"

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._path(key).exists()

    def __getitem__(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def __setitem__(self, key: str, value: bytes) -> None:
        fd, name = tempfile.mkstemp(dir=self.folder, suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(value)
        os.replace(name, self._path(key))


def document_key(html: str) -> str:
    """The HTML without the times of its making (what makes two renders the same document)."""
    created = CREATED.search(html)
    key = html.replace(created.group(1), "") if created else html  # also where the page prints it
    return STAMP.sub(r"\1\2", key)


def kept(store: Store, key: str, make: Callable[[], bytes], seen: set[str], counts: dict[str, int], made: str) -> bytes:
    """The bytes kept under ``key`` in ``store``, made by ``make()`` the first time; counted for the test that asks:
    ``counts[made]`` for a key it has not asked for before (``seen``), ``counts["reused"]`` for one it has."""
    if key in seen:
        counts["reused"] += 1
    else:
        counts[made] += 1
        seen.add(key)
    if key not in store:
        store[key] = make()
    return store[key]


def render_each_once(monkeypatch: pytest.MonkeyPatch, documents: Store) -> dict[str, int]:
    """Make the PDF views render each document once into ``documents`` (kept by the caller: per module or run).

    Returns the test's counts: ``rendered``, the distinct documents it asked for; ``reused``, its other PDF requests.
    """
    from roomlog.web.pdf import render_pdf

    seen: set[str] = set()
    counts = {"rendered": 0, "reused": 0}

    def once(html: str, **options: bool) -> bytes:  # options (reuse_layout) change the speed, not the bytes
        return kept(documents, document_key(html), lambda: render_pdf(html, **options), seen, counts, "rendered")

    for name in PDF_VIEWS:
        monkeypatch.setattr(importlib.import_module(name), "render_pdf", once)
    return counts
