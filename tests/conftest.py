"""Shared fixtures: the app on SQLite (and PostgreSQL for marked tests), clients, factories."""

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from roomlog import create_app
from roomlog.extensions import db
from tests.support import demo_db, rollback, snapshots
from tests.support import sqlite as sqlite_support
from tests.support.apps import (
    AuthActions,
    add_municipalities,
    instance_folder,
    make_test_config,
    share_rule_parsing,
    share_url_builders,
)
from tests.support.compiled_sql import share_compiled_sql
from tests.support.demo_db import PgDemo, SqliteDemo, drop_shared, drop_templates, shared_pg_demo, shared_sqlite_demo
from tests.support.factories import Factory
from tests.support.pdf_once import SharedDocuments
from tests.support.postgres import create_test_schema, drop_databases, postgres_url, truncate, use_worker_databases
from tests.support.rollback import rollback_sqlite  # noqa: F401 - the module's database of rolled-back tests
from tests.support.templates import share_compiled_templates

# Temporary directories (and so every test's SQLite file) on tmpfs unless the caller chose a place.
sqlite_support.use_ram_temproot()
# Every test makes an app of its own; they share Werkzeug's generated URL builders (create_app ×5 faster).
share_url_builders()
# … and how Werkzeug parsed each of their rules (tests/support/apps.py).
share_rule_parsing()
# … and the compiled code of their Jinja templates (tests/support/templates.py).
share_compiled_templates()
# … and the SQL their engines compiled (tests/support/compiled_sql.py).
share_compiled_sql()
_worker_databases: list[str] = []
#: What the processes of one run share (the sqlite_demo fixture), in the run's temporary directory (every
#: xdist worker's own lies in it); removed as the run ends.
SHARED = "roomlog-shared"


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker gets PostgreSQL databases of its own (ports: tests.support.net)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        _worker_databases.extend(use_worker_databases(worker))


def pytest_unconfigure(config: pytest.Config) -> None:
    drop_templates()
    snapshots.drop_kept_databases()
    drop_databases(_worker_databases)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's process (not an xdist worker) drops what the processes shared, before pytest removes its
    temporary directory (where the shared templates are named)."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    basetemp = getattr(factory, "_basetemp", None)
    if basetemp is not None and not os.environ.get("PYTEST_XDIST_WORKER"):
        drop_shared(basetemp / SHARED)


#: The longest test modules, longest first. Ranked 2026-12-03 (session 10) from one full ``--durations=0`` run of
#: main (89a3957) with ``-n 2 --dist loadfile`` on a quiet 2-core machine (469.4 s), setup + call + teardown summed
#: per module (docs/testing.md), then moved for what session 10 changed: the headline module builds ``sqlite_demo``
#: (now the run's one three-month SQLite demo) and the deployment module ``pg_demo``, early, so that their other
#: users (test_demo_history, test_audit_and_guards, test_cli, test_security_pseudonyms) find them built and do not
#: wait on the build's lock. Session 11: the deployment module after the accessibility one, so that its PostgreSQL
#: build starts once the headline module's SQLite build is done (the process that ends the other long module
#: first takes it) and reads that build's years from the shared memo of protection decisions. Re-rank from such a
#: run when modules change. pytest-xdist
#: (``make test``: ``--dist loadfile --no-loadscope-reorder``) hands whole modules to its processes in
#: collection order. Its own default order (most tests first) left the long modules with few tests (a
#: server, a demo, a fuzzer) for the end, one process busy long after the other had finished; started
#: first, they overlap and the many short modules even out the end. Only the order changes: a module
#: missing from (or renamed in) this list runs among the rest, and every test still runs.
LONGEST_FIRST: tuple[str, ...] = (
    "tests/test_load.py",
    "tests/test_publication_headline.py",
    "tests/browser/test_security_accessibility.py",
    # After the fuzzer: the PostgreSQL demo build waits for the SQLite one (test_publication_headline's), which
    # ends about when the fuzzer does; handed out before it, a worker sat idle ~20 s waiting.
    "tests/test_security_fuzz.py",
    "tests/test_security_deployment.py",
    "tests/test_demo_history.py",
    "tests/browser/test_capture_tablet.py",
    "tests/test_faults.py",
    "tests/browser/test_offline_outbox.py",
    "tests/test_annual_national.py",
    "tests/test_security_matrix.py",
    "tests/test_unknown_walk.py",
    "tests/browser/test_capture_scenario.py",
    "tests/test_security_throttling.py",
    "tests/test_trend_pages.py",
    "tests/test_aggregate_views.py",
    "tests/test_bench_scale.py",
    "tests/test_truth_approval.py",
    "tests/browser/test_capture_layout.py",
    "tests/test_api.py",
    "tests/test_publication.py",
    "tests/test_reporting_http.py",
    "tests/test_capture_bounds.py",
    "tests/test_downloads_tidy.py",
    # Session 16: then every other module of 2 s or more (summed in session 15's last quiet run), longest first.
    # By their number of tests, modules with one or two tests came last, some of them 5-8 s (a server, Chromium, an
    # attacker's every output): one process ran one of those while the other had finished. Now the end of a run is
    # modules of under 2 s.
    "tests/test_publication_release.py",
    "tests/test_security_logs.py",
    "tests/test_pdf_tagging.py",
    "tests/test_api_paging.py",
    "tests/test_warmup.py",
    "tests/test_publication_attacks.py",
    "tests/test_room_summary_bounded.py",
    "tests/test_request_statements.py",
    "tests/test_capture_privacy.py",
    "tests/browser/test_attacks_idle.py",
    "tests/test_room_summary_cost.py",
    "tests/browser/test_trend_charts.py",
    "tests/test_protection_memo.py",
    "tests/test_pdf_layouts.py",
    "tests/browser/test_table_scroll.py",
    "tests/test_truth_approved_page.py",
    "tests/test_pool_cost.py",
    "tests/test_security_pseudonyms.py",
    "tests/test_reporting_properties.py",
    "tests/test_audit_and_guards.py",
    "tests/test_api_schema.py",
    "tests/test_room_summary_speed.py",
    "tests/browser/test_capture_corrections.py",
    "tests/test_i18n.py",
    "tests/test_publication_speed.py",
    "tests/test_visitor_sets.py",
    "tests/test_security_http.py",
    "tests/test_capture_round_trips.py",
    "tests/test_history.py",
    "tests/browser/test_approved_page.py",
    "tests/test_publication_swap.py",
    "tests/test_api_jsonbody.py",
    "tests/browser/test_truth_void.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest modules first, then the rest by number of tests (xdist's own order); a stable sort."""
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    counts = Counter(item.nodeid.split("::", 1)[0] for item in items)

    def order(item: pytest.Item) -> tuple[int, int]:
        module = item.nodeid.split("::", 1)[0]
        return rank.get(module, len(rank)), -counts[module] if module not in rank else 0

    items.sort(key=order)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Take what importing and collecting built out of the garbage collector's sight (``gc.freeze``), as a
    warmed worker does (roomlog/warmup.py): a full collection then scans only what the tests make since
    (one app, engine and request after another), not every module, function and SQLAlchemy/Jinja/WeasyPrint
    structure loaded once. Nothing frozen is garbage (a collection runs first); objects made later are
    collected as before.

    Then the collector runs less often: every 5,000 allocations net instead of 700 for the youngest objects,
    and a full collection after 100 instead of 10 of the middle generation's. A request, a PDF or a workbook
    allocates tens of thousands of objects that die young, and with Python's defaults the collector ran ~7,000
    times in test_unknown_walk + test_capture_bounds, 40 of them full (6.3 CPU-s of 63, gen2 4.8); now ~1,000
    and 5 (1.5 CPU-s). Garbage in reference cycles lives a little longer (memory only): what the tests close
    (engines, connections, files) they close explicitly, and nothing here waits for a collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 20, 100)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], scope="function")


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str]:
    """Create the schema once per session as the owner; the tests connect as the app role."""
    url = postgres_url()
    assert url
    create_test_schema(url)
    yield url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database with the schema and the municipalities, built once and copied by every test."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    with instance_folder(folder / "instance"):
        return sqlite_support.build_template(path, make_test_config(folder, f"sqlite:///{path}"))


@pytest.fixture(scope="session")
def _shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / SHARED


@pytest.fixture(scope="session")
def run_documents(_shared: Path) -> SharedDocuments:
    """PDFs rendered once for the whole run (tests/support/pdf_once.py): the fuzzer's two databases and the tenant
    matrix's roles build the same world (tests/security_routes.py) and read the same four documents."""
    return SharedDocuments(_shared / "pdf-once", ".pdf")


@pytest.fixture(scope="session")
def run_workbooks(_shared: Path) -> SharedDocuments:
    """Workbooks written once for the whole run (tests/support/workbook_once.py), shared as the PDFs."""
    return SharedDocuments(_shared / "workbook-once", ".xlsx")


@pytest.fixture(scope="session", autouse=True)
def _share_kept_worlds(_shared: Path) -> None:
    """The worlds of tests.support.snapshots and the migrated PostgreSQL template (tests.support.demo_db) are
    built once per run, in the directory the run shares."""
    snapshots.share_in(_shared / "kept-worlds")
    demo_db.share_in(_shared)


@pytest.fixture(scope="session")
def sqlite_demo(_shared: Path) -> SqliteDemo:
    """``roomlog demo --months 3`` run once for the whole run on a fresh SQLite test database (all workers);
    tests read what it printed and logged and copy its database (``SqliteDemo.config``, ``sqlite_demo_app``).

    Three months up to ``demo_db.DEMO_TODAY`` (``--today``): the headline module audits the live months the demo
    publishes (October and November 2026) as well as the imported history; every other user asks only for some
    demo. One build for all of them, its protection decisions all committed (``tests/protection-memo/``).
    """
    return shared_sqlite_demo(_shared, months=3)


@pytest.fixture(scope="session")
def pg_demo(_shared: Path) -> PgDemo:
    """``roomlog demo --months 3`` run once for the whole run, as the owner, on a freshly migrated PostgreSQL
    database (all workers); tests read what it printed and copy its database (``pg_demo_database``).

    Three months up to the same day, as ``sqlite_demo``: both builds publish the same figures, so this one reads
    every year's protection from the run's memo (``demo_db.protection_memo``) as the SQLite build does.
    """
    postgres_url()  # skips (fails in CI) without PostgreSQL
    return shared_pg_demo(_shared, months=3)


@pytest.fixture
def app_config() -> dict[str, object]:
    """Override in a test module to change the app's config."""
    return {}


@pytest.fixture(autouse=True)
def instance_path(tmp_path: Path) -> Iterator[Path]:
    """Every test's own instance folder (``ROOMLOG_INSTANCE_PATH`` set for this test only, restored after).

    Every app a test makes (the ``app`` fixture, ``migrated_app``, ``sqlite_demo_app`` …) keeps its generated
    files there (the outbox code key, the rate-limit file), so no test reads another's or one that pytest
    already removed; the code-key cache is keyed by the folder (roomlog/web/code_key.py ``_key_for``), so a
    test never gets another folder's key. Created by the app when it needs it.
    """
    with instance_folder(tmp_path / "instance") as folder:
        yield folder


@pytest.fixture
def app(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, instance_path: Path, app_config: dict[str, object]
) -> Iterator[Flask]:
    if request.node.get_closest_marker(rollback.MARKER):  # one transaction, rolled back (tests/support/rollback.py)
        yield from rollback.app(request, backend, tmp_path, app_config)
        return
    if backend == "postgresql":
        url = request.getfixturevalue("_pg_schema")
    else:
        template = request.getfixturevalue("_sqlite_template")
        url = f"sqlite:///{sqlite_support.copy_template(template, tmp_path / 'test.sqlite3')}"
    application = create_app(make_test_config(tmp_path, url, **app_config))
    if backend == "postgresql":  # the SQLite copy already holds them
        add_municipalities(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if backend == "postgresql":
        truncate(url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask, backend: str, tmp_path: Path, app_config: dict[str, object]) -> Iterator[FlaskCliRunner]:
    """The ``roomlog`` command; on PostgreSQL it connects as the schema owner, as deployed."""
    if backend != "postgresql":
        yield app.test_cli_runner()
        return
    owner = create_app(
        make_test_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], DATABASE_AS_OWNER=True, **app_config)
    )
    yield owner.test_cli_runner()
    with owner.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def dbs(app: Flask) -> Iterator[Session]:
    """A session of the test's own, outside any request (so requests keep their own context)."""
    with app.app_context():
        engine = db.engine
    session = rollback.session(app) or Session(engine, expire_on_commit=False)
    yield session
    session.close()


@pytest.fixture
def make(app: Flask, dbs: Session) -> Factory:
    """Factories that add and commit rows through the test's own session."""
    return Factory(dbs, app)


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
