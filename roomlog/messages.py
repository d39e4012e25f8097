"""Messages and labels for people: marked for translation where they arise, translated at the edge.

One translation mechanism: every Danish text is in the catalogue
``roomlog/translations/da/LC_MESSAGES/messages.po`` under its English msgid (``make translations``
extracts the msgids with pybabel and compiles the catalogue).

- Services and the read side never import Flask or Flask-Babel. They raise ``DomainError(N_("…"), n=3)``
  with an English msgid and its parameters; the view (or the error handler, or a CLI command) translates
  it with ``roomlog.i18n.message``.
- Labels that are data (code lists, indicator names, download headers) are marked with ``N_`` (or
  ``C_`` with a context where one English word has two Danish translations) and translated with
  ``translate(language, msgid)`` here, from the same compiled catalogue, so that a CSV in Danish or an
  export outside a request reads the same words as the pages.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from babel.dates import get_month_names
from babel.support import Translations

#: Where the compiled catalogues are (the same files Flask-Babel reads).
CATALOGUES = Path(__file__).resolve().parent / "translations"


def N_(msgid: str) -> str:  # the gettext convention: mark now, translate later
    """Mark ``msgid`` for the catalogue without translating it (the view translates)."""
    return msgid


def C_(context: str, msgid: str) -> tuple[str, str]:  # as N_, with a gettext context
    """Mark ``msgid`` in ``context`` (``msgctxt``) for the catalogue; returns ``(context, msgid)``."""
    return context, msgid


@lru_cache(maxsize=4)
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue for ``language``; English is the msgids themselves."""
    return Translations.load(str(CATALOGUES), [language], domain="messages")


@lru_cache(maxsize=16384)
def translate(language: str, msgid: str, context: str | None = None) -> str:
    """``msgid`` (in ``context``) in ``language`` (``da`` or ``en``), without Flask."""
    found = catalogue(language)
    return found.pgettext(context, msgid) if context else found.gettext(msgid)


def both(marked: str | tuple[str, str]) -> tuple[str, str]:
    """``(Danish, English)`` of a marked msgid (``N_`` or ``C_``), for vocabularies indexed by ``english``."""
    context, msgid = marked if isinstance(marked, tuple) else (None, marked)
    return translate("da", msgid, context), translate("en", msgid, context)


def pick(english: bool, marked: str | tuple[str, str]) -> str:
    """A marked msgid in English (``english``) or Danish: for downloads whose dialect decides the language."""
    return both(marked)[int(english)]


def in_danish(marked: str | tuple[str, str], **params: object) -> str:
    """A marked msgid in Danish, for documents that are always Danish (the annual report, its workbook)."""
    text = both(marked)[0]
    return text % params if params else text


def month_name(number: int, language: str = "da", width: Literal["abbreviated", "wide"] = "wide") -> str:
    """A month's name from CLDR (Babel): ``januar`` … or ``jan`` … (``abbreviated``, without its full stop)."""
    return str(get_month_names(width, locale="en" if language == "en" else "da")[number]).rstrip(".")


@dataclass(frozen=True)
class Message:
    """An English msgid with its parameters, for a view to translate."""

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        """The English text (logs, tests, the CLI without a request)."""
        return self.msgid % dict(self.params) if self.params else self.msgid
