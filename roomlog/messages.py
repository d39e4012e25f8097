"""Messages the domain gives people: marked for translation where they arise, translated by the views.

Services and the read side never import Flask or Flask-Babel. They raise ``DomainError(N_("…"), n=3)``
with an English msgid and its parameters; the view (or the error handler, or a CLI command) translates
it with ``roomlog.i18n.message``. ``pybabel extract -k N_`` collects the msgids into the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


def N_(msgid: str) -> str:  # the gettext convention: mark now, translate later
    """Mark ``msgid`` for the catalogue without translating it (the view translates)."""
    return msgid


@dataclass(frozen=True)
class Message:
    """An English msgid with its parameters, for a view to translate."""

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        """The English text (logs, tests, the CLI without a request)."""
        return self.msgid % dict(self.params) if self.params else self.msgid
