"""Logging in and out: the ``auth`` blueprint (its name, and so every endpoint and URL, kept from when it
lived in :mod:`roomlog.auth`, which is now the shared access layer)."""
