"""Write use cases: validate, add, flush, audit — the caller (view or command) commits."""


class DomainError(Exception):
    """A rule of the domain was broken; the message is safe to show to the user."""

    status_code = 400


class NotAllowed(DomainError):
    """The user may not do this (e.g. back-dating without permission)."""

    status_code = 403


class Conflict(DomainError):
    """The change collides with the state of the data (locked month, reused key)."""

    status_code = 409
