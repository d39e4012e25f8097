"""A throwaway PostgreSQL server of the test's own (for restart tests); never the shared one."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.harness import free_port

PREFERRED_PORT = 54339


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]), reverse=True)
    if found:
        return Path(found[0]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class ThrowawayPostgres:
    """initdb into a temporary directory, then start/stop the server at will.

    Set up as the README deploys it (and as .ci/postgres.sh does): a database ``roomlog``
    owned by ``roomlog_owner``; :attr:`url` is the app role ``roomlog``'s (no superuser, no
    BYPASSRLS), :attr:`owner_url` the owner's. The superuser only creates them.
    """

    def __init__(self, bin_dir: Path, data: Path, port: int) -> None:
        self.bin_dir, self.data, self.port = bin_dir, data, port
        self.superuser_url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        self.url = f"postgresql+psycopg://roomlog@127.0.0.1:{port}/roomlog"
        self.owner_url = f"postgresql+psycopg://roomlog_owner@127.0.0.1:{port}/roomlog"

    def create_roles(self) -> None:
        """Create the owner, the app role and the database (the DBA's one-time step)."""
        from sqlalchemy import create_engine, text

        admin = create_engine(self.superuser_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE ROLE roomlog_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"))
            conn.execute(text("CREATE ROLE roomlog LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"))
            conn.execute(text("CREATE DATABASE roomlog OWNER roomlog_owner"))
        admin.dispose()

    def _run(self, *args: str, timeout: int = 60) -> None:
        subprocess.run([*_as_postgres(), *args], check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data / "db"),
            "-l",
            str(self.data / "log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data / "db"), "-m", mode, "-w", "stop")


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """Yield a running private PostgreSQL (port 54339 if free); stop it and remove its files after."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        if IN_CI:
            pytest.fail("PostgreSQL server binaries are required when CI=true")
        pytest.skip("PostgreSQL server binaries (pg_ctl, initdb) not found")
    data = Path(tempfile.mkdtemp(prefix="roomlog-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = PREFERRED_PORT if _port_free(PREFERRED_PORT) else free_port()
    server = ThrowawayPostgres(bin_dir, data, port)
    try:
        server._run(str(bin_dir / "initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        server.start()
        server.create_roles()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.stop("immediate")
        shutil.rmtree(data, ignore_errors=True)


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
