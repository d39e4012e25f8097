"""Every way the tests get PostgreSQL, in one place.

- The shared test server that ``.ci/postgres.sh start`` runs (its URLs in ``ROOMLOG_TEST_POSTGRES_URL``
  and ``ROOMLOG_TEST_POSTGRES_OWNER_URL``): :func:`postgres_url`, :func:`owner_url_for`,
  :func:`create_test_schema`, :func:`truncate`.
- Scratch databases on that server: :func:`scratch_pg_database`.
- A private throwaway server for the restart tests (never the shared one): :func:`throwaway_postgres`.

The roles are those of the README's deployment (and of .ci/postgres.sh): ``roomlog_owner`` owns
the schema, the app role ``roomlog`` is no superuser and cannot bypass row-level security.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.support.net import free_port, port_free, worker_share

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ENV = "ROOMLOG_TEST_POSTGRES_URL"
PG_OWNER_ENV = "ROOMLOG_TEST_POSTGRES_OWNER_URL"
#: The schema owner of the README's deployment (.ci/postgres.sh creates it beside the app role).
PG_OWNER_ROLE = "roomlog_owner"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The port a private server tries first.
PREFERRED_PORT = 54339


def postgres_url() -> str | None:
    """Return the test PostgreSQL URL, skipping (or failing in CI) when there is none."""
    url = os.environ.get(PG_ENV)
    if url:
        return url
    message = f"PostgreSQL tests need {PG_ENV} (set by .ci/run; start one with .ci/postgres.sh start)"
    if IN_CI:
        pytest.fail(message + " — required when CI=true")
    pytest.skip(message)
    return None


def owner_url_for(url: str) -> str:
    """Return ``url`` (the app role's, any database) as the schema owner's connection."""
    owner = make_url(os.environ.get(PG_OWNER_ENV) or make_url(url).set(username=PG_OWNER_ROLE, password=None))
    return make_url(url).set(username=owner.username, password=owner.password).render_as_string(hide_password=False)


def refuse_superuser(url: str) -> None:
    """Fail when the tests' app URL is a superuser or can bypass RLS: production never is."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    finally:
        engine.dispose()
    if any(row):
        pytest.fail(f"{PG_ENV} must name the app role (no superuser, no BYPASSRLS): rerun .ci/postgres.sh start")


def apply_security_sql(conn: Connection, app_role: str | None) -> None:
    """Apply the grants and row-level security of migration 0008 (the single source) to ``conn``."""
    path = PROJECT_ROOT / "migrations" / "versions" / "0008_security_roles_and_secrets.py"
    spec = importlib.util.spec_from_file_location("roomlog_migration_0006", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.apply_security(lambda sql: conn.execute(text(sql)), app_role, 15, triggers=False)


def create_test_schema(url: str) -> None:
    """Create the models' schema as the owner, marked at the migration head, with the app role's grants."""
    from roomlog.health.views import migration_heads
    from roomlog.models import Base

    refuse_superuser(url)
    engine = create_engine(owner_url_for(url))
    with engine.begin() as conn:
        # Schemas an older version of tests.support.snapshots kept worlds in (now template databases): leftovers.
        kept = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kept\\_world\\_%'")).scalars()
        for schema in kept.all():
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        Base.metadata.create_all(conn)
        # Mark the schema as at head (the app role may not write alembic_version), so /healthz answers 200.
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        for head in migration_heads():
            conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
        apply_security_sql(conn, make_url(url).username)
    engine.dispose()


def drop_schema(url: str) -> None:
    """Drop the models' tables and ``alembic_version`` (as the owner): an empty database for the migrations."""
    from roomlog.models import Base

    engine = create_engine(owner_url_for(url))
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def truncate(url: str) -> None:
    """Empty every table but the municipalities (as the owner), restarting the identities."""
    from roomlog.models import Base

    engine = create_engine(owner_url_for(url))
    names = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "municipalities")
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@contextlib.contextmanager
def scratch_pg_database(tag: str) -> Iterator[str]:
    """Create an empty PostgreSQL database (owned by the owner), yield the app role's URL, drop it after."""
    base = make_url(postgres_url() or "")
    name = f"{base.database}_{tag}_{uuid.uuid4().hex[:6]}"
    admin = admin_engine(str(base))
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def end_connections(conn: Connection, database: str) -> None:
    """End the client connections to ``database`` (on ``conn``, the owner's, who may end the app role's).

    Only client connections: the owner may not end an autovacuum worker (a superuser's process), and
    ``CREATE DATABASE`` itself makes one in its template stop.
    """
    conn.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = :d AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ),
        {"d": database},
    )


def copy_database(url: str, template: str, name: str) -> None:
    """Create the database ``name`` on ``url``'s server as a copy of ``template`` (owned by the owner).

    ``CREATE DATABASE … TEMPLATE`` copies the files on the server (tables, rows, sequences, grants, policies,
    triggers): much cheaper than rebuilding or ``INSERT … SELECT``. The template must be idle: any client
    connection to it (an app that finished with it) is ended first.
    """
    admin = admin_engine(url)
    try:
        with admin.connect() as conn:
            end_connections(conn, template)
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()


def replace_database(url: str, template: str) -> None:
    """Make ``url``'s database a fresh copy of ``template``: dropped (its connections ended) and created again.

    The same name, so the engines of the test's apps keep their URL; their pooled connections to the old
    database are gone (the pool's pre-ping replaces any that is checked out again, see roomlog/database.py).
    """
    name = make_url(url).database
    admin = admin_engine(url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()


#: The databases .ci/postgres.sh makes beside the test database (suffixes of its name).
COMPANION_SUFFIXES = ("", "_migrations")


def admin_engine(url: str) -> Engine:
    """An autocommit connection to the server's ``postgres`` database as the owner (who may create databases)."""
    return create_engine(make_url(owner_url_for(url)).set(database="postgres"), isolation_level="AUTOCOMMIT")


def use_worker_databases(worker: str) -> list[str]:
    """Give this pytest-xdist worker databases of its own: ``<test db>_<worker>`` and its ``_migrations`` twin.

    Creates them (owned by the owner, as .ci/postgres.sh does) and points ``ROOMLOG_TEST_POSTGRES_URL``
    and ``ROOMLOG_TEST_POSTGRES_OWNER_URL`` at them; returns their names for :func:`drop_databases`.
    """
    url = os.environ.get(PG_ENV)
    if not url:
        return []
    base = make_url(url)
    name = f"{base.database}_{worker}"
    names = [name + suffix for suffix in COMPANION_SUFFIXES]
    admin = admin_engine(url)
    with admin.connect() as conn:
        for database in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    owner = os.environ.get(PG_OWNER_ENV)
    os.environ[PG_ENV] = base.set(database=name).render_as_string(hide_password=False)
    if owner:
        os.environ[PG_OWNER_ENV] = make_url(owner).set(database=name).render_as_string(hide_password=False)
    return names


def drop_databases(names: list[str]) -> None:
    """Drop the worker's databases (every connection to them closed by force)."""
    url = os.environ.get(PG_ENV)
    if not url or not names:
        return
    admin = admin_engine(url)
    with admin.connect() as conn:
        for database in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


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
        pg_ctl = str(self.bin_dir / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.data / "db"), "-l", str(self.data / "log"), "-w", "-o", options, "start")

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
    preferred = worker_share(range(PREFERRED_PORT, PREFERRED_PORT + 1))
    port = preferred[0] if preferred and port_free(preferred[0]) else free_port()
    server = ThrowawayPostgres(bin_dir, data, port)
    try:
        # --no-sync: a throwaway cluster (run with fsync=off) need not wait for its files to reach the disk.
        initdb = (str(bin_dir / "initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        server._run(*initdb, "--no-sync")
        server.start()
        server.create_roles()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.stop("immediate")
        shutil.rmtree(data, ignore_errors=True)
