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


def test_template_gettext_is_jinjas_new_style_gettext(app: Flask) -> None:
    """Templates' ``_()`` and ``gettext()`` (``roomlog.i18n.template_gettext``, one call) give what Jinja's own
    new-style chain gives (``_`` → the context's ``gettext`` → the catalogue), escaped or not, in both languages."""
    from jinja2 import Environment

    from roomlog.i18n import template_gettext

    jinjas = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # overlaid below with and without
    jinjas.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        newstyle=True,
    )
    source = (
        "{{ _('Log in') }}|{{ gettext('Username') }}|{{ _('since %(month)s', month=m) }}"
        "|{{ _('100%% <b>%(x)s</b>', x=m) }}"
        "|{% autoescape false %}{{ _('since %(month)s', month=m) }}{% endautoescape %}"
        "|{% for i in [1] %}{{ _('Log in') }}{% endfor %}|{{ _('Log in') | length }}|{{ _('100%% sure') }}"
    )
    assert app.jinja_env.globals["_"] is template_gettext and app.jinja_env.globals["gettext"] is template_gettext
    with app.test_request_context("/"):
        for language in ("da", "en"):
            with force_locale(language):
                for name in ("page.html", "page.txt"):  # autoescaped, plain
                    ours = app.jinja_env.overlay(autoescape=name.endswith(".html")).from_string(source)
                    theirs = jinjas.overlay(autoescape=name.endswith(".html")).from_string(source)
                    for value in ("<i>2026-10</i> & 'x'", "plain"):
                        assert ours.render(m=value) == theirs.render(m=value), (language, name, value)
        assert app.jinja_env.from_string("{{ _('Log in') }}").render() == "Log ind"
