"""WTForms' ``html_params`` (a field's attributes) without ``Markup.format``: the same markup, a fraction of the CPU.

Every input, select, option, button and label WTForms renders builds its attributes with
``wtforms.widgets.core.html_params``, which formats each ``key="value"`` pair through
``Markup.format`` (markupsafe's ``string.Formatter``, pure Python): ~57 µs a call, ten to a few
hundred calls a form page. :func:`html_params` takes the same steps with an f-string: the keys
sorted and cleaned by WTForms' own ``clean_key``, ``True`` a bare attribute, ``False`` none, a key
escaped, a value escaped and its double quotes written ``&quot;`` (a value that is ``Markup`` is
kept as it is, as ``escape`` keeps it).

:func:`install` puts it where WTForms looks it up (the widgets module, its re-export the label
uses, and the ``Input`` and ``Button`` classes' own copies), once per process and only over
WTForms' own function, after checking on a few samples that both give the same markup; with any
other WTForms whose function differs there, nothing is replaced.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.widgets import core

#: WTForms' own function, as imported (kept to compare with and to restore).
ORIGINAL = core.html_params

#: Attributes that exercise each rule (bare, omitted, escaped key and value, quotes, Markup, data_/aria_ names).
SAMPLES: tuple[dict[str, Any], ...] = (
    {"name": "text1", "id": "f", "class_": "text"},
    {"checked": True, "readonly": False, "name": "text1", "abc": "hello"},
    {"data_attr": "user.name", "aria_labeledby": "name", "for_": "x"},
    {"value": "\"quoted\" <b>&amp;</b> 'single'", "title": Markup('<i title="a">ø</i>')},
    {"value": 0, "maxlength": 12, "step": 0.5, "placeholder": None},
    {},
)


def html_params(**kwargs: Any) -> Markup:
    """The attributes ``key="value"`` of ``kwargs``, sorted by key: what WTForms' ``html_params`` returns."""
    params: list[str] = []
    for key, value in sorted(kwargs.items()):
        name = escape(core.clean_key(key))  # type: ignore[attr-defined]  # WTForms' stubs leave it out
        if value is True:
            params.append(name)
        elif value is not False:
            text = str.replace(escape(value), '"', "&quot;")  # a Markup value may hold them
            params.append(f'{name}="{text}"')
    return Markup(" ".join(params))  # noqa: S704  # nosec B704 - every key and value above is escaped


def _same_as_wtforms() -> bool:
    return all(html_params(**sample) == ORIGINAL(**sample) for sample in SAMPLES)


def install() -> bool:
    """Make WTForms render attributes with :func:`html_params`; return whether it does (idempotent)."""
    places = (core.__dict__.get("html_params"), widgets.__dict__.get("html_params"))
    button: Any = core.Button  # type: ignore[attr-defined]  # WTForms' stubs leave it out
    methods = (core.Input.__dict__.get("html_params"), button.__dict__.get("html_params"))
    if all(place is html_params for place in places):
        return True
    if any(place is not ORIGINAL for place in places) or not _same_as_wtforms():
        return False
    if any(not isinstance(method, staticmethod) or method.__func__ is not ORIGINAL for method in methods):
        return False
    core.html_params = widgets.html_params = html_params
    # mypy refuses assigning to a method; replacing WTForms' own static method is what this function is for.
    core.Input.html_params = button.html_params = staticmethod(html_params)  # type: ignore[method-assign]  # see above
    return True
