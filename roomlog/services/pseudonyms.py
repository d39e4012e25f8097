"""Visitor codes (SLK-style) and their keyed pseudonyms. Pure functions, no database.

The visitor code is built from parts the visitor can always repeat: letters of the last
and first name, birth date and sex, after the Australian SLK-581 *statistical linkage key*:
2nd, 3rd and 5th letters of the last name, 2nd and 3rd letters of the first name, a ``2``
for each letter the name is too short to have, ``999`` / ``99`` when the name is missing,
then DDMMYYYY and sex. Only ``HMAC-SHA256(key, code)`` is ever stored.

Danish letters: Æ, Ø and Å are kept as letters of their own (upper-cased, in Unicode NFC
so that a composed and a decomposed Å are the same letter); other accented letters lose
their accent (É → E, Ü → U); everything that is not a letter is dropped (hyphens,
apostrophes, spaces). "Aa" is *not* turned into "Å": the letters are taken as the visitor
spells the name, so the same person always gives the same code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata

from roomlog.models.codes import Sex

DANISH_LETTERS = frozenset("ÆØÅ")
MISSING_LETTER = "2"
CHECK_WORDS = (
    "ABE", "BIL", "BJØRN", "BOG", "BRO", "BÅD", "DUE", "ELG", "FISK", "FLY", "FRØ", "GED",
    "GRAN", "HAJ", "HANE", "HAVN", "HEST", "HUS", "HVAL", "HØG", "IGLE", "IS", "JORD", "KAT",
    "KO", "KRAGE", "KUGLE", "KURV", "LAKS", "LAMPE", "LAM", "LYS", "LØVE", "MÅGE", "MÅNE",
    "MUS", "MYRE", "NØD", "ODDER", "ORM", "PIL", "RAVN", "REV", "RIS", "ROSE", "SAND", "SKIB",
    "SKY", "SNE", "SOL", "SPÆTTE", "STEN", "STJERNE", "SÆL", "TOG", "TRÆ", "TUDSE", "UGLE",
    "ULV", "URT", "VAND", "VIND", "ØRN", "ÅL",
)  # fmt: skip


def _letters(name: str | None) -> str:
    """Upper-case letters of a name, keeping Æ Ø Å and dropping accents and non-letters."""
    if not name:
        return ""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", name).upper():
        if char in DANISH_LETTERS:
            out.append(char)
            continue
        base = unicodedata.normalize("NFD", char)[0]
        if base.isalpha() and base.isascii():
            out.append(base)
        elif char.isalpha() and not base.isascii():
            # A letter of another alphabet (e.g. Cyrillic) is kept as it is.
            out.append(char)
    return "".join(out)


def _pick(letters: str, positions: tuple[int, ...], missing_name: str) -> str:
    if not letters:
        return missing_name
    return "".join(letters[p - 1] if len(letters) >= p else MISSING_LETTER for p in positions)


def last_name_letters(name: str | None) -> str:
    """Return the 2nd, 3rd and 5th letters of a last name (``999`` when there is none)."""
    return _pick(_letters(name), (2, 3, 5), "999")


def first_name_letters(name: str | None) -> str:
    """Return the 2nd and 3rd letters of a first name (``99`` when there is none)."""
    return _pick(_letters(name), (2, 3), "99")


def normalise_letters(value: str | None, length: int) -> str:
    """Normalise letters typed at the door: upper-case, keep ÆØÅ and the filler digits.

    Too few letters are padded with ``2``; nothing at all means the name is missing
    (``9`` × length).
    """
    if not value:
        return "9" * length
    cleaned: list[str] = []
    for char in unicodedata.normalize("NFC", value).upper():
        if char in "29":
            cleaned.append(char)
        else:
            cleaned.extend(_letters(char))
    text = "".join(cleaned)[:length]
    return text.ljust(length, MISSING_LETTER)


def visitor_code(last_letters: str, first_letters: str, birth_date: dt.date, sex: Sex | str) -> str:
    """Assemble the normalised visitor code: letters, DDMMYYYY and the sex code."""
    sex_code = Sex(sex).value.upper()
    return (
        normalise_letters(last_letters, 3)
        + normalise_letters(first_letters, 2)
        + birth_date.strftime("%d%m%Y")
        + sex_code
    )


def pseudonym(key: str | bytes, code: str) -> str:
    """Return the keyed pseudonym (hex HMAC-SHA256) of a normalised visitor code."""
    key_bytes = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(key_bytes, code.encode("utf-8"), hashlib.sha256).hexdigest()


def check_word(pseudonym_hex: str) -> str:
    """Return a short word + number derived from a pseudonym, for staff to read back."""
    digest = bytes.fromhex(pseudonym_hex)
    word = CHECK_WORDS[digest[0] % len(CHECK_WORDS)]
    return f"{word}-{int.from_bytes(digest[1:3], 'big') % 100:02d}"


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Return the age in whole years on ``day``."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
