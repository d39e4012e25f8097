"""Render the print template to PDF with WeasyPrint, offline: no URL is ever fetched.

Every PDF is tagged as PDF/UA-1 (structure tree, document language from ``<html lang>``, title from
``<title>``, creation date from ``<meta name="dcterms.created">``), as far as WeasyPrint allows.
"""

from __future__ import annotations

import threading
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


#: One font configuration per thread: WeasyPrint otherwise makes a new one (a new Pango font map, its
#: fonts and shaping caches cold) for every document, about a fifth of a PDF's time. The PDF loads no
#: fonts of its own (no ``@font-face``: nothing is fetched), so every document uses the same system fonts.
_FONTS = threading.local()


def _font_config() -> Any:
    """This thread's WeasyPrint ``FontConfiguration``, made on first use."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = getattr(_FONTS, "config", None)
    if fonts is None:
        fonts = _FONTS.config = FontConfiguration()
    return fonts


def render_pdf(html: str) -> bytes:
    """Return the tagged PDF bytes of ``html`` styled by the report print stylesheet."""
    from weasyprint import HTML  # imported here: it is heavy and only the PDF needs it

    stylesheet = _stylesheet(Path(current_app.static_folder or "") / "css" / "report.css")
    document = HTML(string=html, url_fetcher=_no_fetch)
    return document.write_pdf(stylesheets=[stylesheet], pdf_variant=PDF_VARIANT, font_config=_font_config()) or b""
