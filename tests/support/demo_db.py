"""Migrated and demo-loaded PostgreSQL databases, built once per test run and copied per use.

Migrating a scratch database (``roomlog db upgrade``) costs seconds and loading the demo into it
(``roomlog demo``, which publishes every year since the rooms opened) much more; several test modules
need exactly that state and then change their own copy. Each state is built once per run, as the
schema owner, into a template database; a test gets ``CREATE DATABASE … TEMPLATE …`` of it (a file
copy on the server, owned by the owner, with the same tables, grants, policies and triggers) and the
copy is dropped after. The migrated template is built by the first process of the run to need it, under a
file lock in the directory the run's processes share (:func:`share_in`); outside such a run, once per process
(:func:`drop_templates` removes those as pytest ends).

Tests that check the migrations keep running them.

:func:`shared_sqlite_demo` and :func:`shared_pg_demo` run ``roomlog demo`` once for the whole run (all xdist
workers: the first to ask builds it under a file lock in a directory the run's processes share, the others
wait for it and read the result); the tests of the command read its exit code, output (and log), and copy
its database. :func:`drop_shared` removes them as the run ends. Both builds keep their protection decisions in
one memo in that directory (:func:`protection_memo`, the app's ``PROTECTION_MEMO_DIR``): the years both publish
from the same figures are protected once per run, by whichever build comes first.

Both are built as of :data:`DEMO_TODAY` (``roomlog demo --today``), not the day the tests run: the demo's figures
(its history from 2023 ramps toward activity that starts ``--months`` before its today) and what it publishes
are then the same in every run, so the committed decisions (``tests/protection-memo/``) hold every year. The
app's own clock stays real: a test that reasons about the demo's months reads ``SqliteDemo.today``.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from roomlog import create_app
from roomlog.extensions import db
from tests.support import carried_memo
from tests.support.apps import dispose, instance_folder, make_test_config, migrate_as_owner, owner_app
from tests.support.postgres import admin_engine, copy_database, drop_databases, postgres_url
from tests.support.snapshots import PG_TEMPLATE_SUFFIX, locked
from tests.support.sqlite import build_template, copy_template

#: Template database names by what they hold ("migrated"), for this process (outside a run's shared directory).
_templates: dict[str, str] = {}
#: … and those of the run's shared directory this process has used (drop_shared drops them as the run ends).
_run_templates: dict[str, str] = {}
#: The directory the run's processes share (:func:`share_in`; empty: each process builds its own templates).
_shared: list[Path] = []


def share_in(folder: Path) -> None:
    """Build the migrated template once per run in ``folder``, which every process of the run sees (conftest)."""
    _shared[:] = [folder]


#: The migrated SQLite file of this process (in a directory of its own, removed at exit).
_sqlite_template: list[Path] = []


def _admin() -> Engine:
    return admin_engine(postgres_url() or "")


def _url(name: str) -> str:
    return make_url(postgres_url() or "").set(database=name).render_as_string(hide_password=False)


def _copy(template: str, name: str) -> None:
    """Create ``name`` as a copy of ``template`` (no session may be connected to the template meanwhile)."""
    copy_database(postgres_url() or "", template, name)


def _drop(*names: str) -> None:
    drop_databases(list(names))


def drop_templates() -> None:
    """Drop this process's template databases and files (tests/conftest.py calls it as pytest ends)."""
    if _templates:
        with contextlib.suppress(Exception):  # the server may be gone already at exit
            _drop(*_templates.values())
        _templates.clear()
    while _sqlite_template:
        shutil.rmtree(_sqlite_template.pop().parent, ignore_errors=True)


def _new_name(tag: str) -> str:
    base = make_url(postgres_url() or "").database
    return f"{base}_{tag}_{uuid.uuid4().hex[:6]}"


def _migrate_into(name: str) -> None:
    """Create the database ``name`` and run ``roomlog db upgrade`` on it as the owner; drop it if that fails."""
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    folder = Path(tempfile.mkdtemp(prefix="roomlog-tmpl-"))
    try:
        dispose(migrate_as_owner(folder, _url(name)))
    except BaseException:
        _drop(name)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _migrated_template() -> str:
    """The migrated template: built once per run in the run's shared directory (:func:`share_in`), the first
    process to need it building it under the directory's lock; outside a run, once per process."""
    if "migrated" in _run_templates:
        return _run_templates["migrated"]
    if _shared:
        folder = _shared[0] / "pg-migrated"
        named, done = folder / "template", folder / "done"
        with _locked(folder):
            if not done.exists():
                name = _new_name("tmpl_migrated")
                named.write_text(name, encoding="utf-8")  # drop_shared drops it, built or not
                _migrate_into(name)
                done.touch()
            _run_templates["migrated"] = named.read_text(encoding="utf-8")
        return _run_templates["migrated"]
    if "migrated" not in _templates:
        name = _new_name("tmpl_migrated")
        _migrate_into(name)
        if not _templates:
            atexit.register(drop_templates)  # in case pytest_unconfigure never ran
        _templates["migrated"] = name
    return _templates["migrated"]


@contextlib.contextmanager
def _copy_of(template: str, tag: str) -> Iterator[str]:
    name = _new_name(tag)
    _copy(template, name)
    try:
        yield _url(name)
    finally:
        _drop(name)


@contextlib.contextmanager
def migrated_pg_database(tag: str) -> Iterator[str]:
    """Yield the app role's URL of a fresh database in the state ``roomlog db upgrade`` leaves (as the owner)."""
    with _copy_of(_migrated_template(), tag) as url:
        yield url


def _migrated_sqlite() -> Path:
    if not _sqlite_template:
        folder = Path(tempfile.mkdtemp(prefix="roomlog-tmpl-"))
        atexit.register(drop_templates)  # in case pytest_unconfigure never ran
        path = folder / "migrated.sqlite3"
        dispose(migrate_as_owner(folder, f"sqlite:///{path}"))
        _sqlite_template.append(path)
    return _sqlite_template[0]


@contextlib.contextmanager
def migrated_database(backend: str, tmp_path: Path, tag: str) -> Iterator[str]:
    """Yield the URL of a fresh migrated database of ``backend``: a copied SQLite file in ``tmp_path``, or a
    PostgreSQL copy (:func:`migrated_pg_database`); what ``database_url`` and ``migrated_app`` give, migrated once.
    """
    if backend == "postgresql":
        with migrated_pg_database(tag) as url:
            yield url
    else:
        yield f"sqlite:///{copy_template(_migrated_sqlite(), tmp_path / f'{tag}.sqlite3')}"


#: The day the run's demos are built as of (``roomlog demo --today``): the figures, and so the protection decisions,
#: depend on it (not on the day the tests run). Moving it moves every demo month: run ``make test-memo`` after.
DEMO_TODAY = dt.date(2026, 12, 3)

#: The pseudonym key the shared SQLite demo is loaded with: a canary that test_security_pseudonyms looks for
#: (and must not find) in the demo's database, its dump and its log.
DEMO_PSEUDONYM_KEY = "PSEUDOKEY-canary-4f1c9e7a2b"


@dataclass(frozen=True)
class SqliteDemo:
    """One run of ``roomlog demo --months <months>`` on a fresh SQLite test database (never open ``path``: copy it)."""

    path: Path
    exit_code: int
    output: str
    log: str  # every line the roomlog loggers wrote while the command ran (the app's LOG_FILE)
    months: int  # of synthetic activity: the imported history ends the month before the first of them
    today: dt.date  # the day it was built as of (``--today``): its last day of activity

    def config(self, tmp_path: Path, **extra: object) -> dict[str, object]:
        """The test config of an app on a copy of this demo in ``tmp_path`` (with the key it was loaded with)."""
        url = f"sqlite:///{copy_template(self.path, tmp_path / 'demo.sqlite3')}"
        return make_test_config(tmp_path, url, PSEUDONYM_KEY=DEMO_PSEUDONYM_KEY, **extra)


def demo_args(months: int) -> list[str]:
    """The ``roomlog demo`` arguments of the run's builds: ``months`` of activity up to :data:`DEMO_TODAY`."""
    return ["demo", "--months", str(months), "--today", DEMO_TODAY.isoformat()]


def protection_memo(shared: Path) -> Path:
    """The directory of protection decisions the run's demo builds share (``PROTECTION_MEMO_DIR``), holding the
    committed decisions (:mod:`.carried_memo`) before the first build of the run starts."""
    memo = shared / "protection-memo"
    seeded = shared / "protection-memo-seeded"
    with _locked(seeded):
        if not (seeded / "done").exists():
            carried_memo.seed(memo)
            (seeded / "done").touch()
    return memo


def _build_sqlite_demo(folder: Path, months: int, memo: Path) -> None:
    """Run the command as a test did (the app fixture's database, the CLI runner), then record what it said."""
    path = folder / "demo.sqlite3"
    log = folder / "demo.log"
    config = make_test_config(
        folder,
        f"sqlite:///{path}",
        PSEUDONYM_KEY=DEMO_PSEUDONYM_KEY,
        LOG_FILE=str(log),
        PROTECTION_MEMO_DIR=str(memo),
    )
    with instance_folder(folder / "instance"):
        build_template(path, config)
        application = create_app(config)
        result = application.test_cli_runner().invoke(args=demo_args(months))
        with application.app_context(), db.engine.connect() as conn:  # one plain file to copy
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        dispose(application)
    record = {"exit_code": result.exit_code, "output": result.output}
    stale = carried_memo.stale_years(log.read_text(encoding="utf-8") if log.exists() else "")
    if stale:  # only slower (those years were protected here), but every run is until the memo is remade
        warnings.warn(f"tests/protection-memo did not hold {stale}: run `make test-memo`", stacklevel=1)
    (folder / "result.json").write_text(json.dumps(record), encoding="utf-8")  # last: marks the build done


def shared_sqlite_demo(shared: Path, months: int = 3) -> SqliteDemo:
    """The run's one SQLite demo in ``shared`` (a directory every process of the run sees), built on first use.

    A process that asks while another builds it waits for that build (it would take as long to build its own).
    """
    folder = shared / f"sqlite-demo-{months}"
    done = folder / "result.json"
    with _locked(folder):
        if not done.exists():
            _build_sqlite_demo(folder, months, protection_memo(shared))
    record = json.loads(done.read_text(encoding="utf-8"))
    log = folder / "demo.log"
    return SqliteDemo(
        folder / "demo.sqlite3",
        record["exit_code"],
        record["output"],
        log.read_text(encoding="utf-8") if log.exists() else "",
        months,
        DEMO_TODAY,
    )


@contextlib.contextmanager
def sqlite_demo_app(demo: SqliteDemo, tmp_path: Path, **extra: object) -> Iterator[Flask]:
    """An app (test config) on a copy of ``demo`` of the test's own in ``tmp_path``; disposed after."""
    with instance_folder(tmp_path / "instance"):  # as conftest's instance_path fixture
        application = create_app(demo.config(tmp_path, **extra))
    yield application
    dispose(application)


@dataclass(frozen=True)
class PgDemo:
    """``roomlog demo --months <months>`` run as the owner on a freshly migrated PostgreSQL database, kept as a
    template every process of the run may copy (:func:`pg_demo_database`); never connect to ``template``."""

    folder: Path
    template: str
    exit_code: int
    output: str


def _locked(folder: Path) -> contextlib.AbstractContextManager[None]:
    return locked(folder / "lock")


def _await_sqlite_demos(shared: Path) -> float:
    """Wait for a SQLite demo another process is building (its decisions are the memo's), if any; the seconds.

    The two builds publish the same history: one after the other, the second reads most years from the memo;
    side by side, both would solve them. (``LONGEST_FIRST`` starts the PostgreSQL build late enough not to wait.)
    """
    started = time.monotonic()
    for folder in sorted(shared.glob("sqlite-demo-*")):
        with _locked(folder):
            pass
    return round(time.monotonic() - started, 1)


def shared_pg_demo(shared: Path, months: int) -> PgDemo:
    """The run's one PostgreSQL demo of ``months`` months in ``shared``, built on first use (see the module)."""
    folder = shared / f"pg-demo-{months}"
    done = folder / "result.json"
    with _locked(folder):
        if not done.exists():
            waited = _await_sqlite_demos(shared)
            name = _new_name(f"shared_demo{months}")
            (folder / "template").write_text(name, encoding="utf-8")  # drop_shared drops it, built or not
            _copy(_migrated_template(), name)
            work = Path(tempfile.mkdtemp(prefix="roomlog-tmpl-"))
            try:
                memo = str(protection_memo(shared))
                owner = owner_app(work, _url(name), LOG_FILE=str(folder / "demo.log"), PROTECTION_MEMO_DIR=memo)
                result = owner.test_cli_runner().invoke(args=demo_args(months))
                dispose(owner)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            record = {"template": name, "exit_code": result.exit_code, "output": result.output, "waited_s": waited}
            done.write_text(json.dumps(record), encoding="utf-8")
    record = json.loads(done.read_text(encoding="utf-8"))
    return PgDemo(folder, record["template"], record["exit_code"], record["output"])


@contextlib.contextmanager
def pg_demo_database(demo: PgDemo, tag: str) -> Iterator[str]:
    """Yield the app role's URL of a fresh copy of ``demo``'s database; dropped after."""
    assert demo.exit_code == 0, demo.output
    name = _new_name(tag)
    with _locked(demo.folder):  # one copy at a time: a template must be idle while it is copied
        _copy(demo.template, name)
    try:
        yield _url(name)
    finally:
        _drop(name)


def drop_shared(shared: Path) -> None:
    """Drop the run's shared PostgreSQL templates (the demos, the migrated one, the kept worlds of
    tests.support.snapshots) and remove ``shared`` (once, as the whole run ends)."""
    named = [*shared.glob("pg-*/template"), *shared.rglob(f"*{PG_TEMPLATE_SUFFIX}")]
    names = [path.read_text(encoding="utf-8") for path in named]
    if names:
        with contextlib.suppress(Exception):  # the server may be gone already at exit
            _drop(*names)
    shutil.rmtree(shared, ignore_errors=True)
