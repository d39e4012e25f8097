"""Write use cases: validate, add, flush, audit — the caller (view or command) commits."""

from __future__ import annotations

from roomlog.messages import Message

#: A msgid that only joins its ``problems`` (a tuple of messages, each translated, separated by spaces).
JOINED = "%(problems)s"


class DomainError(Exception):
    """A rule of the domain was broken; ``message`` is safe to show to the user once translated.

    Raise it with an English msgid marked by ``roomlog.messages.N_`` and its parameters:
    ``DomainError(N_("At most %(n)s."), n=5)``; views translate it with ``roomlog.i18n.message(exc)``.
    """

    status_code = 400

    def __init__(self, msgid: str = "", **params: object) -> None:
        self.message = Message(msgid, params)
        super().__init__(str(self.message))


class NotAllowed(DomainError):
    """The user may not do this (e.g. back-dating without permission)."""

    status_code = 403


class Conflict(DomainError):
    """The change collides with the state of the data (locked month, reused key)."""

    status_code = 409
