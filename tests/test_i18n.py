"""Danish by default, English on request; every message has a Danish translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from roomlog import PROJECT_ROOT
from roomlog.models.codes import Role
from tests.support.apps import AuthActions
from tests.support.factories import Factory

PO = PROJECT_ROOT / "roomlog" / "translations" / "da" / "LC_MESSAGES" / "messages.po"


def test_fresh_install_shows_danish(client: FlaskClient) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="da">' in page and "Brugernavn" in page and "Adgangskode" in page


def test_language_switch_for_anonymous_and_per_user(make: Factory, client: FlaskClient, auth: AuthActions) -> None:
    client.post("/account/language", data={"language": "en", "next": "/auth/login"})
    assert "Username" in client.get("/auth/login").get_data(as_text=True)
    make.user(Role.ADMIN, username="a")
    auth.login("a")
    client.post("/account/language", data={"language": "da"})
    auth.logout()
    auth.login("a")  # the user's own setting wins
    assert "Administration" in client.get("/admin/").get_data(as_text=True)
    assert "Nyt rum" in client.get("/admin/").get_data(as_text=True)


def test_every_message_is_translated_to_danish(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    missing = sorted(str(m) for m in wanted if not catalog.get(m) or not catalog.get(m).string)
    assert missing == [], f"untranslated: {missing[:20]}"
    fuzzy = [m.id for m in catalog if m.fuzzy and m.id]
    assert fuzzy == []


def test_compiled_catalogue_is_up_to_date(tmp_path: Path) -> None:
    from babel.messages.mofile import read_mo

    with PO.open("rb") as fh:
        source = {m.id: m.string for m in read_po(fh) if m.id}
    with PO.with_suffix(".mo").open("rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    assert source == compiled, "run `make translations`"
