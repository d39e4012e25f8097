"""Read a PDF back for tests: catalog, metadata, structure tree (tagged PDF) and text.

pypdf is imported when a PDF is read, not with the module: every pytest-xdist process imports every test module as
it collects, and only a process that runs one of the modules reading PDFs needs pypdf.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any


@dataclass
class ReadPdf:
    """What the tests look at in a PDF."""

    catalog: Any
    title: str
    created: Any
    tags: list[str]
    headed: list[str]
    text: str
    pages: int


def _walk(node: Any, tags: list[str], headed: list[str], depth: int = 0) -> None:
    """Collect the structure types (``/S``) in reading order and the cells tied to their headers."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if depth > 200:
        return
    if isinstance(node, list):
        for child in node:
            _walk(child, tags, headed, depth + 1)
        return
    if not hasattr(node, "get"):
        return
    if "/S" in node:
        tags.append(str(node["/S"]))
        attrs = node.get("/A")
        attrs = attrs.get_object() if attrs is not None else None
        for attr in attrs if isinstance(attrs, list) else [attrs] if attrs is not None else []:
            attr = attr.get_object()
            if hasattr(attr, "get") and "/Headers" in attr:
                headed.append(str(node["/S"]))
    if "/K" in node:
        _walk(node["/K"], tags, headed, depth + 1)


def read_pdf(data: bytes) -> ReadPdf:
    """Parse ``data`` (a PDF) into what the tests assert on."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"].get_object()
    tags: list[str] = []
    headed: list[str] = []
    if "/StructTreeRoot" in catalog:
        _walk(catalog["/StructTreeRoot"].get_object().get("/K", []), tags, headed)
    meta = reader.metadata
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return ReadPdf(catalog, str(meta.title or ""), meta.creation_date, tags, headed, text, len(reader.pages))
