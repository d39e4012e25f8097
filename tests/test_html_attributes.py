"""Form fields' attributes (roomlog.web.html_attributes): the markup WTForms' own ``html_params`` gives."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms import widgets
from wtforms.widgets import core

from roomlog.web import html_attributes
from roomlog.web.html_attributes import ORIGINAL, html_params
from tests.security_routes import build_world, concrete_methods, spec_for
from tests.support.apps import AuthActions
from tests.support.factories import Factory

text = st.text(alphabet=st.sampled_from(list("ab\"'<>&=ø æ_-%{}")), max_size=12)
keys = st.builds(
    lambda prefix, name, tail: prefix + name + tail,
    st.sampled_from(["", "data_", "aria_"]),
    st.one_of(st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True), st.text(alphabet="a_<&\"'", min_size=1, max_size=4)),
    st.sampled_from(["", "_", "__"]),
)
values = st.one_of(
    st.booleans(), st.none(), text, st.integers(), st.floats(allow_nan=False), text.map(Markup), st.just(Markup('"'))
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, values, max_size=6))
def test_the_attributes_are_wtforms_own(kwargs: dict[str, Any]) -> None:
    ours, theirs = html_params(**kwargs), ORIGINAL(**kwargs)
    assert ours == theirs and type(ours) is type(theirs) is Markup


def test_the_app_renders_fields_with_it(app: Flask) -> None:
    assert html_attributes.install()  # the app already did: nothing more to do
    assert core.html_params is widgets.html_params is html_params
    assert core.Input.html_params is core.Button.html_params is html_params  # type: ignore[attr-defined]  # the classes' staticmethods


def test_every_form_page_asks_for_what_wtforms_own_gives(
    app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every HTML page of the matrix's world the administrator or a room lead may see: each attribute list its
    fields ask for (inputs, selects, options, check boxes, buttons, labels) is the markup WTForms' own gives."""
    asked: list[dict[str, Any]] = []

    def checked(**kwargs: Any) -> Markup:
        ours = html_params(**kwargs)
        assert ours == ORIGINAL(**kwargs), kwargs
        asked.append(kwargs)
        return ours

    for module in (core, widgets):
        monkeypatch.setattr(module, "html_params", checked)
    for widget in (core.Input, core.Button):  # type: ignore[attr-defined]  # WTForms' stubs leave Button out
        monkeypatch.setattr(widget, "html_params", staticmethod(checked))
    world = build_world(make)
    for role in ("admin", "lead_a"):  # between them every form of the app: administration, capture, approval
        client = app.test_client()
        assert AuthActions(client).login(role).status_code == 302
        for rule in app.url_map.iter_rules():
            spec = spec_for(rule.endpoint) if rule.endpoint != "static" else None
            if spec is not None and role in spec.allowed and "GET" in concrete_methods(rule):
                client.get(spec.url(world))
    assert len(asked) > 200 and any(value is True for kwargs in asked for value in kwargs.values())
