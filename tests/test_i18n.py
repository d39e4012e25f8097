"""Danish by default, English on request; every message has a Danish translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, get_translations

from roomlog import PROJECT_ROOT
from roomlog.i18n import catalogue, message
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


def _extract(pot: Path) -> None:
    """Extract the msgids exactly as ``make translations`` does (its keywords, from the Makefile)."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    keywords = next(line for line in makefile.splitlines() if line.startswith("BABEL_KEYWORDS ="))
    pybabel = str(Path(sys.executable).parent / "pybabel")
    subprocess.run(
        [pybabel, "extract", "-F", "babel.cfg", *keywords.split("=", 1)[1].split(), "-o", str(pot), "."],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )


def test_every_message_is_translated_to_danish(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    _extract(pot)
    with pot.open("rb") as fh:
        wanted = {(m.context, m.id) for m in read_po(fh) if m.id}
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    missing = sorted(str(m) for m in wanted if not catalog.get(m[1], m[0]) or not catalog.get(m[1], m[0]).string)
    assert missing == [], f"untranslated: {missing[:20]}"
    fuzzy = [m.id for m in catalog if m.fuzzy and m.id]
    assert fuzzy == []


def test_catalogue_has_no_stale_messages(tmp_path: Path) -> None:
    """The .po is the source: every entry in it is still used (no forgotten, obsolete Danish)."""
    pot = tmp_path / "messages.pot"
    _extract(pot)
    with pot.open("rb") as fh:
        wanted = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(fh) if m.id}
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    kept = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}
    assert sorted(map(str, kept - wanted)) == [], "run `make translations`"
    assert not catalog.obsolete, "run `make translations` (it drops obsolete entries)"


def test_code_list_labels_come_from_the_catalogue() -> None:
    from roomlog.models.codes import DecisionOutcome, PermitStatus, Substance

    assert Role.LEAD.label("da") == "leder" and Role.LEAD.label("en") == "room lead"
    # one English word, two Danish translations: told apart by their context in the catalogue
    assert PermitStatus.REFUSED.label("da") == "afslået" and DecisionOutcome.REFUSED.label("da") == "afslag"
    assert PermitStatus.REFUSED.label("en") == DecisionOutcome.REFUSED.label("en") == "refused"
    assert Substance.CRACK.label("da") == "crack/kogt kokain" and Substance.CRACK.label("en") == "crack cocaine"


def test_compiled_catalogue_is_up_to_date(tmp_path: Path) -> None:
    from babel.messages.mofile import read_mo

    with PO.open("rb") as fh:
        source = {m.id: m.string for m in read_po(fh) if m.id}
    with PO.with_suffix(".mo").open("rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    assert source == compiled, "run `make translations`"


def test_templates_follow_the_locale_within_a_request(app: Flask) -> None:
    """The catalogue kept per request (``roomlog.i18n.catalogue``) follows ``force_locale`` in and out again,
    in templates and in Python, and is Flask-Babel's own for each locale."""
    page = app.jinja_env.from_string("{{ _('Log in') }}|{{ _('Username') }}")
    with app.test_request_context("/"):
        assert (page.render(), message("Log in")) == ("Log ind|Brugernavn", "Log ind")
        assert catalogue() is get_translations()
        with force_locale("en"):
            assert (page.render(), message("Log in")) == ("Log in|Username", "Log in")
            assert catalogue() is get_translations()
        assert (page.render(), message("Log in")) == ("Log ind|Brugernavn", "Log ind")
        assert catalogue() is get_translations()
    with app.app_context():  # outside a request: the locale selector's Danish, as Flask-Babel gives it
        assert message("Log in") == "Log ind" and catalogue() is get_translations()
