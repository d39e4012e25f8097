"""Render the print template to PDF with WeasyPrint, offline: no URL is ever fetched.

Every PDF is tagged as PDF/UA-1 (structure tree, document language from ``<html lang>``, title from
``<title>``, creation date from ``<meta name="dcterms.created">``), as far as WeasyPrint allows.

A document asked for again (``render_pdf(html, reuse_layout=True)``: the lead's monthly summary) is not
laid out again: each thread keeps the layouts of its last :data:`LAYOUTS_KEPT` documents, keyed by the
HTML without its printed time. The printed time is the text of every ``<span class="pdf-stamp">`` and the
``dcterms.created`` meta; a kept layout gets the new time written into those text boxes and is drawn
again, which gives the same bytes a fresh render of the new HTML gives. Anything else that differs (a
number, a state, the language, the stylesheet) is a different key, so a changed month is always laid
out again. A new time of another shape than the kept one (not the same characters apart from digits,
e.g. "9:59" then "10:00") could change the layout, so that document is laid out again too.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
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


#: The printed time: the text of each stamp span, and the creation date of the metadata.
STAMP = re.compile(r'<span class="pdf-stamp">([^<]*)</span>')
CREATED = re.compile(r'<meta name="dcterms\.created" content="([^"]*)">')

#: Laid-out documents kept per thread (about 15 MB each on the busiest summary).
LAYOUTS_KEPT = 4

_LAYOUTS = threading.local()


def _same_shape(old: str, new: str) -> bool:
    """True if ``new`` differs from ``old`` in digits only (DejaVu's digits are equally wide: same layout)."""
    return len(old) == len(new) and all(a == b or (a.isdigit() and b.isdigit()) for a, b in zip(old, new, strict=True))


@dataclass
class _Layout:
    """A laid-out WeasyPrint ``Document`` and the text boxes that hold its printed time."""

    document: Any
    stamps: tuple[str, ...]
    boxes: list[Any]

    @classmethod
    def of(cls, document: Any, stamps: tuple[str, ...]) -> _Layout | None:
        """Find the stamps' text boxes; None if a stamp is not one whole text box (then it is not kept)."""
        from weasyprint.formatting_structure.boxes import TextBox

        roots: list[Any] = [getattr(page, "_page_box", None) for page in document.pages]  # WeasyPrint's boxes
        if any(root is None for root in roots):
            return None  # another WeasyPrint: lay every document out (tests/test_pdf_layouts.py would say so)
        boxes = [
            box
            for root in roots
            for box in root.descendants()
            if isinstance(box, TextBox) and box.element is not None and box.element.get("class") == "pdf-stamp"
        ]
        texts = {box.text for box in boxes}
        if texts != set(stamps) or any(box.pango_layout is None or box.pango_layout.text != box.text for box in boxes):
            return None
        return cls(document, stamps, boxes)

    def restamp(self, stamps: tuple[str, ...], created: str | None) -> bool:
        """Write the new printed time into the layout; False (layout unchanged) if it could move anything."""
        if len(stamps) != len(self.stamps):
            return False
        new: dict[str, str] = {}
        for old, now in zip(self.stamps, stamps, strict=True):
            if new.setdefault(old, now) != now or not _same_shape(old, now):
                return False
        for box in self.boxes:
            box.text = box.pango_layout.text = new[box.text]
        self.stamps = stamps
        self.document.metadata.created = created
        self.document.fonts = {}  # the fonts (and their glyph subsets) of this drawing only, as in a fresh render
        return True


def _kept() -> OrderedDict[str, _Layout]:
    layouts = getattr(_LAYOUTS, "kept", None)
    if layouts is None:
        layouts = _LAYOUTS.kept = OrderedDict()
    return layouts


def forget_layouts() -> None:
    """Drop this thread's kept layouts."""
    _kept().clear()


def render_pdf(html: str, *, reuse_layout: bool = False) -> bytes:
    """Return the tagged PDF bytes of ``html`` styled by the report print stylesheet.

    ``reuse_layout``: keep the layout, and reuse a kept one whose HTML differs only in the printed time.
    """
    from weasyprint import HTML  # imported here: it is heavy and only the PDF needs it

    path = Path(current_app.static_folder or "") / "css" / "report.css"
    stylesheet = _stylesheet(path)
    options: dict[str, Any] = {"stylesheets": [stylesheet], "pdf_variant": PDF_VARIANT}
    if not reuse_layout:
        document = HTML(string=html, url_fetcher=_no_fetch)
        return document.write_pdf(font_config=_font_config(), **options) or b""
    stamps = tuple(STAMP.findall(html))
    found = CREATED.search(html)
    created = found.group(1) if found else None
    bare = CREATED.sub("", STAMP.sub('<span class="pdf-stamp"></span>', html))
    key = hashlib.sha256(f"{path}\0{path.stat().st_mtime}\0{bare}".encode()).hexdigest()
    layouts = _kept()
    kept = layouts.get(key)
    if kept is not None and kept.restamp(stamps, created):
        layouts.move_to_end(key)
        try:
            return kept.document.write_pdf(**options) or b""
        except Exception:
            layouts.pop(key, None)
            raise
    layouts.pop(key, None)
    document = HTML(string=html, url_fetcher=_no_fetch).render(font_config=_font_config(), **options)
    layout = _Layout.of(document, stamps)
    if layout is not None:
        layouts[key] = layout
        while len(layouts) > LAYOUTS_KEPT:
            layouts.popitem(last=False)
    return document.write_pdf(**options) or b""
