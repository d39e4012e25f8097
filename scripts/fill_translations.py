"""Build the Danish catalogue from the extracted template and ``i18n/da/*.json``.

Each JSON file maps English msgids to Danish (one file per area of the app, so parallel
work never edits the same file). ``make translations`` runs extract → this → compile.
Usage: python scripts/fill_translations.py
"""

from __future__ import annotations

import json
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "roomlog/translations/messages.pot"
PO = ROOT / "roomlog/translations/da/LC_MESSAGES/messages.po"


def main() -> None:
    """Rebuild the Danish catalogue; print what is still untranslated."""
    extra: dict[str, str] = {}
    for path in sorted((ROOT / "i18n" / "da").glob("*.json")):
        extra.update(json.loads(path.read_text("utf-8")))
    with POT.open("rb") as fh:
        template = read_po(fh)
    if PO.exists():
        with PO.open("rb") as fh:
            catalog = read_po(fh, locale="da")
        catalog.update(template, no_fuzzy_matching=True)
    else:
        catalog = template
        catalog.locale = "da"  # type: ignore[assignment]
    for message in catalog:
        if message.id and message.id in extra:
            message.string = extra[message.id]
        message.flags.discard("fuzzy")
    catalog.obsolete.clear()
    catalog.fuzzy = False
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    missing = [m.id for m in catalog if m.id and not m.string]
    if missing:
        print("still untranslated:", *missing, sep="\n  ")


if __name__ == "__main__":
    main()
