"""The second factor: enrolment with a QR code, recovery codes, replay refused, roles, config."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from roomlog.auth import totp
from roomlog.models import RecoveryCode, User
from roomlog.models.codes import Role
from tests.support.apps import PRODUCTION_ENV, AuthActions
from tests.support.factories import Factory


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"REQUIRE_TOTP": True}


def _enrol(auth: AuthActions) -> tuple[str, list[str]]:
    page = auth.client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    wrong = auth.client.post("/account/two-factor", data={"code": "000000"}).get_data(as_text=True)
    assert "Koden passer ikke" in wrong
    done = auth.client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.get_data(as_text=True))
    assert len(codes) == totp.RECOVERY_CODES
    return secret, codes


def _code_after(secret: str, user: User) -> str:
    """A valid code newer than the last one used (the next time step, within the drift window)."""
    return pyotp.TOTP(secret).at((user.totp_last_counter + 1) * 30)


@pytest.mark.parametrize("role", [Role.LEAD, Role.MUNICIPALITY, Role.NATIONAL, Role.ADMIN])
def test_roles_that_need_totp_are_sent_to_enrolment_and_cannot_skip_it(
    app: Flask, make: Factory, auth: AuthActions, role: Role
) -> None:
    room = make.room()
    make.user(
        role,
        rooms=[room] if role == Role.LEAD else [],
        municipality="101" if role == Role.MUNICIPALITY else None,
        username="u",
    )
    auth.login("u")
    for path in ("/", "/admin/", f"/rooms/{room.id}/", "/account/"):
        response = auth.client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/account/two-factor"), path


def test_staff_need_no_second_factor(make: Factory, auth: AuthActions) -> None:
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="s")
    auth.login("s")
    assert auth.client.get(f"/rooms/{room.id}/").status_code == 200


def test_enrol_then_log_in_with_code_replay_refused_recovery_code_once(app: Flask, make: Factory, dbs: Session) -> None:
    room = make.room()
    user = make.user(Role.LEAD, rooms=[room], username="lead")
    first = AuthActions(app.test_client())
    first.login("lead")
    secret, codes = _enrol(first)
    assert first.client.get(f"/rooms/{room.id}/").status_code == 200  # enrolment counts as the second factor
    dbs.expire_all()
    stored = dbs.get(User, user.id)
    assert stored.totp_secret.startswith("v1:") and secret not in stored.totp_secret  # sealed at rest
    with app.app_context():
        assert totp.stored_secret(stored) == secret
    assert stored.totp_confirmed_at is not None
    hashes = dbs.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(hashes) == totp.RECOVERY_CODES and not any(c.replace("-", "") in h for c in codes for h in hashes)

    second = AuthActions(app.test_client())
    response = second.login("lead")
    assert response.headers["Location"].startswith("/auth/two-factor")
    assert second.client.get(f"/rooms/{room.id}/").headers["Location"].startswith("/auth/two-factor")
    used = pyotp.TOTP(secret).at(stored.totp_last_counter * 30)  # the code used at enrolment
    refused = second.client.post("/auth/two-factor", data={"code": used})
    assert refused.status_code == 200 and "kun bruges én gang" in refused.get_data(as_text=True)
    ok = second.client.post("/auth/two-factor", data={"code": _code_after(secret, stored)})
    assert ok.status_code == 302
    assert second.client.get(f"/rooms/{room.id}/").status_code == 200

    third = AuthActions(app.test_client())
    third.login("lead")
    assert third.client.post("/auth/two-factor", data={"code": codes[0].upper()}).status_code == 302
    fourth = AuthActions(app.test_client())
    fourth.login("lead")
    assert fourth.client.post("/auth/two-factor", data={"code": codes[0]}).status_code == 200  # spent
    assert dbs.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None))) == 1


@pytest.mark.rollback
def test_check_code_rejects_replay_and_far_drift(app: Flask) -> None:
    secret = totp.new_secret()
    user = User(username="x", role=Role.ADMIN, password_hash="x")
    now = time.time()
    code = pyotp.TOTP(secret).at(now)
    with app.app_context():
        assert totp.check_code(user, code, secret=secret, at=now)
        assert not totp.check_code(user, code, secret=secret, at=now)  # replay
        assert not totp.check_code(user, pyotp.TOTP(secret).at(now - 30), secret=secret, at=now)  # older
        assert not totp.check_code(user, pyotp.TOTP(secret).at(now + 300), secret=secret, at=now)  # far future
        assert not totp.check_code(user, "12345", secret=secret, at=now)


def test_admin_reset_removes_the_factor_and_ends_sessions(app: Flask, make: Factory, dbs: Session) -> None:
    room = make.room()
    user = make.user(Role.LEAD, rooms=[room], username="lost")
    admin_user = make.user(Role.ADMIN, username="admin")
    lead = AuthActions(app.test_client())
    lead.login("lost")
    _enrol(lead)
    admin = AuthActions(app.test_client())
    admin.login("admin")
    _enrol(admin)
    assert admin.client.post(f"/admin/users/{user.id}/second-factor/reset").status_code == 302
    dbs.expire_all()
    assert dbs.get(User, user.id).totp_secret is None
    assert lead.client.get(f"/rooms/{room.id}/").status_code == 302
    assert admin_user.id != user.id


def test_requirement_is_off_in_tests_by_default_and_on_in_production(tmp_path) -> None:
    from roomlog.config import load_config

    env = PRODUCTION_ENV
    assert load_config(tmp_path, env=env)["REQUIRE_TOTP"] is True
    assert load_config(tmp_path, env={**env, "ROOMLOG_REQUIRE_TOTP": "0"})["REQUIRE_TOTP"] is False
    assert load_config(tmp_path, env={"ROOMLOG_ENV": "development"})["REQUIRE_TOTP"] is False
