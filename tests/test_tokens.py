"""API tokens: the CLI prints a token once, the admin page creates, lists and revokes them."""

from __future__ import annotations

import re

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import ApiToken, User
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import bearer


def _token_made_by_admin(make: Factory, client: FlaskClient, auth: AuthActions) -> tuple[User, str]:
    """An admin (logged in) creates a token for the national user ``min``: the owner and the value shown once."""
    make.user(Role.ADMIN, username="admin")
    owner = make.user(Role.NATIONAL, username="min")
    auth.login("admin")
    page = client.post("/admin/tokens", data={"user_id": owner.id, "name": "BI"}).get_data(as_text=True)
    found = re.search(r"data-token>(rlg_[^<]+)<", page)
    assert found is not None, page
    value = found.group(1)
    assert client.get("/api/v1/rooms", headers=bearer(value)).status_code == 200
    return owner, value


def test_cli_creates_a_token_printed_once_and_stored_as_a_hash(
    make: Factory, runner: FlaskCliRunner, client: FlaskClient, dbs: Session
) -> None:
    make.room("Skyen", "101")
    make.user(Role.MUNICIPALITY, municipality="101", username="kbh")
    result = runner.invoke(args=["token", "create", "--user", "kbh", "--name", "Power BI"])
    assert result.exit_code == 0, result.output
    value = result.output.strip().splitlines()[-1]
    assert value.startswith("rlg_")
    stored = dbs.scalars(select(ApiToken)).one()
    assert stored.name == "Power BI" and value.startswith(stored.prefix) and value != stored.token_hash
    assert client.get("/api/v1/rooms", headers=bearer(value)).status_code == 200
    revoked = runner.invoke(args=["token", "revoke", "--prefix", stored.prefix])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/rooms", headers=bearer(value)).status_code == 401


def test_cli_refuses_staff_and_unknown_users(make: Factory, runner: FlaskCliRunner) -> None:
    room = make.room()
    make.user(Role.STAFF, rooms=[room], username="s")
    assert runner.invoke(args=["token", "create", "--user", "s"]).exit_code == 1
    assert runner.invoke(args=["token", "create", "--user", "nobody"]).exit_code == 1


def test_admin_creates_shows_once_lists_and_revokes(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    _owner, value = _token_made_by_admin(make, client, auth)
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert value not in listing and value[:12] in listing
    token = dbs.scalars(select(ApiToken)).one()
    assert client.post(f"/admin/tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/rooms", headers=bearer(value)).status_code == 401


def test_token_pages_are_for_admins_only(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    make.user(Role.NATIONAL, username="min")
    auth.login("min")
    assert client.get("/admin/tokens").status_code == 403
    assert client.post("/admin/tokens", data={"user_id": 1}).status_code == 403


def test_disabling_a_user_revokes_their_tokens_and_enabling_revives_none(
    make: Factory, client: FlaskClient, auth: AuthActions, dbs: Session
) -> None:
    owner, value = _token_made_by_admin(make, client, auth)
    form = {"username": "min", "role": "national", "language": "da"}
    assert client.post(f"/admin/users/{owner.id}", data=form).status_code == 302  # "active" unticked
    assert client.get("/api/v1/rooms", headers=bearer(value)).status_code == 401
    assert dbs.scalars(select(ApiToken)).one().revoked_at is not None
    assert client.post(f"/admin/users/{owner.id}", data={**form, "active": "y"}).status_code == 302
    assert client.get("/api/v1/rooms", headers=bearer(value)).status_code == 401  # still revoked
