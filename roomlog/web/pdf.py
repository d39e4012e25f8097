"""Render the print template to PDF with WeasyPrint, offline: no URL is ever fetched.

Every PDF is tagged as PDF/UA-1 (structure tree, document language from ``<html lang>``, title from
``<title>``, creation date from ``<meta name="dcterms.created">``), as far as WeasyPrint allows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from flask import current_app

PDF_VARIANT = "pdf/ua-1"


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    """Refuse every resource: the PDF template is self-contained."""
    raise ValueError(f"the PDF may not load {url!r}")


def preload() -> None:
    """Import WeasyPrint now (a worker calls this at start), so the first PDF does not pay for it."""
    import weasyprint  # noqa: F401


#: Parsed stylesheets by (path, modification time): parsed once per worker, again only when the file changes.
_STYLESHEETS: dict[tuple[str, float], Any] = {}


def _stylesheet(path: Path) -> Any:
    """The parsed report stylesheet (a WeasyPrint ``CSS``, reusable across documents)."""
    from weasyprint import CSS

    key = (str(path), path.stat().st_mtime)
    if key not in _STYLESHEETS:
        _STYLESHEETS.clear()
        _STYLESHEETS[key] = CSS(filename=key[0], url_fetcher=_no_fetch)
    return _STYLESHEETS[key]


def render_pdf(html: str) -> bytes:
    """Return the tagged PDF bytes of ``html`` styled by the report print stylesheet."""
    from weasyprint import HTML  # imported here: it is heavy and only the PDF needs it

    stylesheet = _stylesheet(Path(current_app.static_folder or "") / "css" / "report.css")
    document = HTML(string=html, url_fetcher=_no_fetch)
    return document.write_pdf(stylesheets=[stylesheet], pdf_variant=PDF_VARIANT) or b""
