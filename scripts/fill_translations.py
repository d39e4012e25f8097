"""Merge Danish translations from a JSON file of {msgid: msgstr} into the Danish catalogue.

Usage: python scripts/fill_translations.py da.json   (then `make translations` compiles)
Only empty entries are filled; existing translations are kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "roomlog/translations/messages.pot"
PO = ROOT / "roomlog/translations/da/LC_MESSAGES/messages.po"


def main(path: str) -> None:
    """Fill empty Danish entries from ``path``."""
    extra = json.loads(Path(path).read_text("utf-8"))
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
        if message.id and not message.string and message.id in extra:
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
    main(sys.argv[1])
