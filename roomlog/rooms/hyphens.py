"""Soft hyphens in the long Danish words of the capture buttons.

Buttons on a tablet are narrow, and Danish compounds are long ("substitutionsbehandling").
CSS ``hyphens: auto`` with ``lang="da"`` hyphenates where the browser has Danish patterns;
where it has none (headless Chromium, some tablets) a word would be cut anywhere. So the
compounds of the code lists carry their break points as soft hyphens (U+00AD), which a
browser shows only when it breaks the line there. Only for screen labels, never in exports.
"""

from __future__ import annotations

import re

from roomlog.rooms.blueprint import bp

SOFT = "\u00ad"
#: Danish break points of the long words on the staff screens (code-list labels and buttons).
BREAKS = (
    "abstinens-behandling", "benzo-diazepiner", "bevidst-hed", "bevidst-løs", "henvis-ning", "heroin-behandling",
    "hjerte-lunge-redning", "hjerte-starter", "hjerte-stop", "infor-mation", "injektions-plads", "injektions-udstyr",
    "intra-nasal", "metam-fetamin", "opioid-over-dosis", "over-vågning", "ryge-udstyr", "råd-givning",
    "social-råd-giver", "stimulant-forgiftning", "stimu-lation", "stof-behandling", "substitutions-behandling",
    "sundheds-rum", "syn-tetiske", "sår-behandling", "utilstræk-kelig", "vacci-nation", "vejr-trækning",
    "venti-lation", "stof-indtagelse", "stof-indtagelser", "ambulance-personalet", "kontrol-ordet",
    "injektions-pladser", "heroin-kokain", "amfe-tamin", "buprenor-fin", "psyki-atri", "rus-middel-behandling",
    "sundheds-faglige", "social-faglige",
)  # fmt: skip
WORDS = {entry.replace("-", ""): entry.replace("-", SOFT) for entry in BREAKS}
WORD = re.compile(r"[^\W\d_]{9,}")


def _word(match: re.Match[str]) -> str:
    text = match.group(0)
    found = WORDS.get(text.lower())
    if found is None:
        return text
    out, i = [], 0
    for char in found:  # keep the original's capitals
        if char == SOFT:
            out.append(SOFT)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@bp.app_template_filter("hy")
def soft_hyphens(text: object) -> str:
    """Return ``text`` with soft hyphens at the break points of its long Danish words."""
    return WORD.sub(_word, str(text))
