"""A throwaway PostgreSQL server of the test's own (for restart tests); lives in ``tests.support.postgres``."""

from __future__ import annotations

from tests.support.postgres import PREFERRED_PORT, ThrowawayPostgres, throwaway_postgres

__all__ = ["PREFERRED_PORT", "ThrowawayPostgres", "throwaway_postgres"]
