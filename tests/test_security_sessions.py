"""Sessions: server-side end on logout, password change and disabling; idle and absolute timeouts."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from roomlog.models import LoginSession
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory


def _two_devices(app: Flask, username: str) -> tuple[AuthActions, AuthActions]:
    first, second = AuthActions(app.test_client()), AuthActions(app.test_client())
    assert first.login(username).status_code == 302 and second.login(username).status_code == 302
    return first, second


def test_logout_ends_this_session_only(app: Flask, make: Factory) -> None:
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="shared")
    tablet, other_tablet = _two_devices(app, "shared")
    tablet.logout()
    assert tablet.client.get(f"/rooms/{room.id}/").status_code == 302
    assert other_tablet.client.get(f"/rooms/{room.id}/").status_code == 200  # the other tablet keeps working


def test_log_out_everywhere_ends_every_session_of_the_user(app: Flask, make: Factory) -> None:
    room = make.room()
    make.user(Role.LEAD, rooms=[room], username="lead")
    make.user(Role.STAFF, rooms=[room], username="other")
    tablet, office = _two_devices(app, "lead")
    colleague = AuthActions(app.test_client())
    colleague.login("other")
    assert 'data-action="logout-everywhere"' in tablet.client.get("/account/").get_data(as_text=True)
    assert tablet.client.post("/auth/logout-everywhere").status_code == 302
    assert tablet.client.get(f"/rooms/{room.id}/").status_code == 302
    assert office.client.get(f"/rooms/{room.id}/").status_code == 302
    assert colleague.client.get(f"/rooms/{room.id}/").status_code == 200  # only that user's sessions


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app: Flask, make: Factory) -> None:
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="anna")
    here, elsewhere = _two_devices(app, "anna")
    old_cookie = here.client.get_cookie("roomlog_session").value
    response = here.client.post(
        "/account/",
        data={
            "current": Factory.PASSWORD,
            "new": "a brand new long passphrase",
            "confirm": "a brand new long passphrase",
        },
    )
    assert response.status_code == 302
    assert here.client.get(f"/rooms/{room.id}/").status_code == 200
    assert here.client.get_cookie("roomlog_session").value != old_cookie  # a new session id
    assert elsewhere.client.get(f"/rooms/{room.id}/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("roomlog_session", old_cookie)
    assert replay.get(f"/rooms/{room.id}/").status_code == 302


def test_disabling_an_account_ends_its_sessions(app: Flask, make: Factory) -> None:
    room = make.room()
    user = make.user(Role.STAFF, rooms=[room], username="leaver")
    make.user(Role.ADMIN, username="admin")
    device = AuthActions(app.test_client())
    device.login("leaver")
    admin = AuthActions(app.test_client())
    admin.login("admin")
    response = admin.client.post(f"/admin/users/{user.id}", data={"role": "staff", "rooms": [room.id]})
    assert response.status_code == 302  # saved without "active"
    assert device.client.get(f"/rooms/{room.id}/").status_code == 302


def _age_idle_clock(auth: AuthActions, minutes: int) -> None:
    with auth.client.session_transaction() as session:
        session["seen"] = int(session["seen"]) - minutes * 60


def test_staff_idle_timeout_and_quick_relogin_back_to_the_same_screen(app: Flask, make: Factory) -> None:
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="tablet")
    make.user(Role.LEAD, rooms=[room], username="office")
    staff, lead = AuthActions(app.test_client()), AuthActions(app.test_client())
    staff.login("tablet")
    lead.login("office")
    board = f"/rooms/{room.id}/?tab=visits"
    _age_idle_clock(staff, app.config["STAFF_IDLE_MINUTES"] + 1)
    _age_idle_clock(lead, app.config["STAFF_IDLE_MINUTES"] + 1)
    expired = staff.client.get(board)
    assert expired.status_code == 302
    assert expired.headers["Location"].startswith("/auth/login?next=")
    login_page = staff.client.get(expired.headers["Location"]).get_data(as_text=True)
    assert "logget ud, fordi der ikke skete noget" in login_page
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', login_page).group(1)
    back = staff.client.post(
        "/auth/login",
        data={"username": "tablet", "password": Factory.PASSWORD, "next": next_value.replace("&amp;", "&")},
    )
    assert back.headers["Location"] == board
    assert lead.client.get(board).status_code == 200  # leads have the longer IDLE_MINUTES


def test_absolute_timeout_of_one_shift(app: Flask, make: Factory, dbs: Session) -> None:
    room = make.room()
    make.user(Role.LEAD, rooms=[room], username="long")
    auth = AuthActions(app.test_client())
    auth.login("long")
    assert auth.client.get(f"/rooms/{room.id}/").status_code == 200
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=app.config["SESSION_MAX_HOURS"], minutes=1)
    dbs.execute(update(LoginSession).values(created_at=past))
    dbs.commit()
    assert auth.client.get(f"/rooms/{room.id}/").status_code == 302


def test_countdown_is_shown_with_the_users_idle_limit_and_no_inline_script(app: Flask, make: Factory) -> None:
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="s")
    auth = AuthActions(app.test_client())
    assert 'id="idle-timer"' not in auth.client.get("/auth/login").get_data(as_text=True)
    auth.login("s")
    page = auth.client.get(f"/rooms/{room.id}/").get_data(as_text=True)
    assert f'data-idle-seconds="{app.config["STAFF_IDLE_MINUTES"] * 60}"' in page
    assert "/static/js/idle.js" in page
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page)), "inline script found"
    assert auth.client.get("/static/js/idle.js").status_code == 200
    assert auth.client.get("/auth/keepalive").status_code == 204


def test_login_from_a_stale_anonymous_session_gets_a_new_session_id(app: Flask, make: Factory) -> None:
    make.user(Role.STAFF, rooms=[make.room()], username="fix")
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = "attacker-chosen"  # session fixation attempt
    AuthActions(client).login("fix")
    with client.session_transaction() as session:
        assert session["sid"] != "attacker-chosen"
