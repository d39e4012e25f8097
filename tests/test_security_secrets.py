"""Secrets at rest: TOTP secrets sealed with ROOMLOG_DATA_KEY, enrolment on the server, key rotation."""

from __future__ import annotations

import base64
import re
import zlib
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session

from roomlog.auth import sealing, totp
from roomlog.models import User
from roomlog.models.codes import Role
from tests.support.apps import AuthActions, sqlite_path
from tests.support.factories import Factory


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"REQUIRE_TOTP": True}


def _cookie_payload(client) -> bytes:
    """The session cookie's payload (itsdangerous: optionally zlib-compressed base64 JSON)."""
    cookie = next(c for c in client._cookies.values() if "session" in c.key)
    raw = cookie.value.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    return zlib.decompress(data) if cookie.value.startswith(".") else data


def test_enrolment_secret_stays_on_the_server_and_is_sealed_everywhere(
    app: Flask, make: Factory, dbs: Session, tmp_path: Path
) -> None:
    make.user(Role.LEAD, rooms=[make.room()], username="lead")
    auth = AuthActions(app.test_client())
    auth.login("lead")
    page = auth.client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert secret.encode() not in _cookie_payload(auth.client)
    again = auth.client.get("/account/two-factor").get_data(as_text=True)
    assert secret in again  # the same enrolment on reload
    auth.client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    database = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        from flask_migrate import stamp

        from roomlog.extensions import db

        stamp()  # built from the models: a backup wants a migrated database
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    for path in database.parent.glob(database.name + "*"):
        assert secret.encode() not in path.read_bytes(), path
    backup = tmp_path / "copy.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    assert secret.encode() not in backup.read_bytes()


def test_rotation_reseals_with_the_new_key_and_old_values_still_open(
    app: Flask, make: Factory, dbs: Session, runner: FlaskCliRunner
) -> None:
    user = make.user(Role.ADMIN, username="admin")
    old_key = app.config["DATA_KEY"]
    with app.app_context():
        user_row = dbs.get(User, user.id)
        user_row.totp_secret = sealing.seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        dbs.commit()
    new_key = "a-new-data-key-for-the-rotation-test-0123456789"
    app.config["DATA_KEY"] = f"{new_key},{old_key}"
    result = runner.invoke(args=["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "1 " in result.output
    dbs.expire_all()
    sealed = dbs.get(User, user.id).totp_secret
    assert sealing.unseal(sealed, [new_key]) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with pytest.raises(sealing.SealError):
        sealing.unseal(sealed, [old_key])


def test_a_clear_legacy_secret_still_works_until_sealed(app: Flask) -> None:
    user = User(username="x", role=Role.ADMIN, password_hash="x", totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    with app.app_context():
        assert totp.stored_secret(user) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        assert sealing.is_sealed(sealing.reseal(user.totp_secret))


def test_the_migration_seals_secrets_stored_in_clear(tmp_path: Path) -> None:
    from flask_migrate import downgrade, upgrade

    from roomlog import create_app
    from roomlog.extensions import db
    from tests.support.apps import make_test_config

    app = create_app(make_test_config(tmp_path, f"sqlite:///{tmp_path / 'old.sqlite3'}"))
    clear = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with app.app_context():
        upgrade(revision="security_row_level_security")
        db.session.execute(
            text(
                "INSERT INTO users (username, password_hash, role, language, active, can_backdate, created_at, "
                "totp_secret) VALUES ('old', 'x', 'admin', 'da', 1, 0, '2026-01-01 00:00:00', :s)"
            ),
            {"s": clear},
        )
        db.session.commit()
        upgrade()
        stored = db.session.scalar(text("SELECT totp_secret FROM users"))
        assert stored.startswith("v1:") and sealing.unseal(stored) == clear
        downgrade(revision="security_row_level_security")  # and back: clear again for the older code
        assert db.session.scalar(text("SELECT totp_secret FROM users")) == clear
        db.session.remove()


def test_instance_folder_databases_logs_and_rate_limit_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    import os
    import stat

    from roomlog import create_app
    from roomlog.auth.throttle_storage import SQLiteFileStorage
    from roomlog.extensions import db

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    previous, saved = os.umask(0o022), os.environ.get("ROOMLOG_INSTANCE_PATH")
    try:
        os.environ["ROOMLOG_INSTANCE_PATH"] = str(tmp_path / "instance")
        from roomlog.config import load_config

        load_config(tmp_path / "instance", env={})  # development: the secrets are generated into the folder
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'instance' / 'roomlog.sqlite3'}",
                "LOG_FILE": str(tmp_path / "instance" / "app.log"),
                "ENV_NAME": "development",
            }
        )
        with app.app_context():
            db.session.execute(text("CREATE TABLE t (x int)"))
            db.session.execute(text("INSERT INTO t VALUES (1)"))
            db.session.commit()
            db.engine.dispose()
        SQLiteFileStorage(f"roomlog+sqlite://{tmp_path / 'instance' / 'ratelimit.sqlite3'}").incr("k", 60)
    finally:
        os.umask(previous)
        os.environ.pop("ROOMLOG_INSTANCE_PATH", None)
        if saved is not None:
            os.environ["ROOMLOG_INSTANCE_PATH"] = saved
    instance = tmp_path / "instance"
    assert mode(instance) == 0o700
    files = sorted(p for p in instance.iterdir() if p.is_file())
    assert {p.name for p in files} >= {
        "roomlog.sqlite3",
        "secret_key.txt",
        "data_key.txt",
        "ratelimit.sqlite3",
        "app.log",
    }
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
