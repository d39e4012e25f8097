"""WeasyPrint once per distinct document, for tests that send many requests for the same PDFs.

Rendering is a pure function of the HTML (and the fixed stylesheet), so a request whose HTML equals an
earlier one's, up to the creation time stamped from the server's clock (wherever the page prints it), cannot
fail where that one passed: it gets the bytes rendered then. Every request still runs the whole view; any
input that changes the HTML is rendered. The fuzzer (60 % of its time on SQLite was the same documents again)
and the tenant matrix (every role's PDF routes, on both databases: the same world, mostly the same HTML) use it.
"""

from __future__ import annotations

import importlib
import re

import pytest

#: The view modules that turn HTML into a PDF (``from roomlog.web.pdf import render_pdf``).
PDF_VIEWS = ("roomlog.reports.views", "roomlog.annual.views", "roomlog.pool.views")
#: The document's creation time (``templates/pdf/_meta.html``): the server's clock, never the request's input.
CREATED = re.compile(r'<meta name="dcterms.created" content="([^"]+)">')


def render_each_once(monkeypatch: pytest.MonkeyPatch, documents: dict[str, bytes]) -> dict[str, int]:
    """Make the PDF views render each document once into ``documents`` (kept by the caller, e.g. per module).

    Returns the test's counts: ``rendered``, the distinct documents it asked for; ``reused``, its other PDF requests.
    """
    from roomlog.web.pdf import render_pdf

    seen: set[str] = set()
    counts = {"rendered": 0, "reused": 0}

    def once(html: str, **options: bool) -> bytes:  # options (reuse_layout) change the speed, not the bytes
        created = CREATED.search(html)
        key = html.replace(created.group(1), "") if created else html  # also where the page prints it
        if key in seen:
            counts["reused"] += 1
        else:
            counts["rendered"] += 1
            seen.add(key)
        if key not in documents:
            documents[key] = render_pdf(html, **options)
        return documents[key]

    for name in PDF_VIEWS:
        monkeypatch.setattr(importlib.import_module(name), "render_pdf", once)
    return counts
