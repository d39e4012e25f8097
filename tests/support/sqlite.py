"""The tests' SQLite databases: one template per session (schema and municipalities), copied per test.

Building the schema costs tens of milliseconds on every test; copying a finished file costs
about one. The copy is a plain file (the template's WAL is checkpointed when its engine closes),
so each test still has a database file of its own, exactly as before.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: Where pytest's temporary directories go when the caller did not choose: a RAM file system.
#: SQLite runs with ``synchronous=FULL`` (as in production), so every commit waits for the disk;
#: on tmpfs that wait is gone while the databases behave exactly the same.
RAM_TEMPROOT = Path("/dev/shm")  # noqa: S108 - pytest makes its own private directories below it


def use_ram_temproot() -> None:
    """Point pytest's temporary directories at tmpfs when there is one and nobody chose another place."""
    if "PYTEST_DEBUG_TEMPROOT" in os.environ or os.environ.get("ROOMLOG_TEST_TMP_ON_DISK"):
        return
    if RAM_TEMPROOT.is_dir() and os.access(RAM_TEMPROOT, os.W_OK):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(RAM_TEMPROOT)


def build_template(path: Path, config: dict[str, object]) -> Path:
    """Create the models' schema and the official municipalities at ``path`` through the app, as a test did."""
    from roomlog import create_app
    from roomlog.extensions import db
    from roomlog.models import Base
    from roomlog.services.municipalities import ensure_municipalities

    application = create_app(config)
    with application.app_context():
        Base.metadata.create_all(db.engine)
        ensure_municipalities(db.session)
        db.session.commit()
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.session.remove()
        db.engine.dispose()
    return path


def copy_template(template: Path, target: Path) -> Path:
    """Copy the template database to ``target`` (owner-only, as the app makes its files) and return it."""
    shutil.copyfile(template, target)
    wal = Path(f"{template}-wal")
    if wal.exists() and wal.stat().st_size:
        shutil.copyfile(wal, Path(f"{target}-wal"))
    os.chmod(target, 0o600)
    return target
