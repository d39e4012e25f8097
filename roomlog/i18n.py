"""Danish first: locale and time zone selection, and the formatting filters templates use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, numbers
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from roomlog.extensions import babel
from roomlog.messages import Message
from roomlog.models.codes import CodeList, Language

LANGUAGES = tuple(Language.codes())


def select_locale() -> str:
    """Pick the user's language, then the session's choice, then Danish."""
    if not has_request_context():
        return "da"
    user = current_user._get_current_object()  # the user once, not through the proxy three times
    if user and user.is_authenticated:
        language: Language = user.language
        return language.value
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return str(chosen)
    if request and request.args.get("lang") in LANGUAGES:
        return str(request.args["lang"])
    return "da"


@lru_cache(maxsize=8)
def _parsed(code: str) -> Locale:
    return Locale.parse(code)


def _selected_locale() -> Locale:
    """``select_locale``'s choice as a Babel ``Locale``, parsed once per language, not once per request."""
    return _parsed(select_locale())


def catalogue() -> NullTranslations:
    """Flask-Babel's ``get_translations()``: the request's catalogue, looked up once per request and locale.

    Flask-Babel finds the request's state in ``g`` three times for every string (the domain, its
    catalogue, the locale), some twenty strings a page. The catalogue it returned is kept in that same
    state beside the locale and domain it was for, and given again while both are the same objects
    (``force_locale`` and ``refresh`` replace the locale: then Flask-Babel is asked again).
    """
    try:
        state = g.get("_flask_babel")
    except RuntimeError:  # no app context: Flask-Babel's own answer (no catalogue)
        return _flask_babel_catalogue()
    kept: tuple[object, object, NullTranslations] | None = getattr(state, "roomlog_catalogue", None)
    if kept is not None:
        locale, domain, found = kept
        if locale is getattr(state, "babel_locale", None) and domain is getattr(state, "babel_domain", None):
            return found
    found = _flask_babel_catalogue()
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is not None:  # only what Flask-Babel chose and keeps for this request
        state.roomlog_catalogue = (locale, getattr(state, "babel_domain", None), found)
    return found


def _flask_babel_catalogue() -> NullTranslations:
    found: NullTranslations = get_translations()
    return found


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext`` (the translation, ``%``-formatted with ``variables`` if any), by :func:`catalogue`."""
    text: str = catalogue().ugettext(string)
    return text % variables if variables else text


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """``_()`` (and ``gettext()``) in templates: the steps of Jinja's new-style ``gettext``, in one call.

    Jinja's ``_`` finds ``gettext`` in the template's context and calls it through the context, and that
    calls the catalogue's function through the context again: three ``Context.call``s for every string,
    some sixty a page. The same steps here: the catalogue's translation, made ``Markup`` where the template
    autoescapes, and always ``%``-formatted with ``variables`` (which ``Markup`` escapes).
    """
    text: str = catalogue().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  # nosec B704 - a msgid's translation, as Jinja's own gettext marks it
    return text % variables


def message(item: Message | Exception | str) -> str:
    """Translate a domain message (or a ``DomainError``'s, or a plain msgid) into the request's language.

    Parameters are shown in that language too: a code-list member by its label, a message
    translated, a tuple of messages translated and joined by spaces.
    """
    found = getattr(item, "message", item)
    if isinstance(found, Message):
        params = {name: _shown(value) for name, value in found.params.items()}
        return gettext(found.msgid, **params) if params else gettext(found.msgid)
    return gettext(str(found)) if isinstance(found, str) else str(item)


def _shown(value: object) -> object:
    """Return a message parameter as it is shown in the request's language."""
    if isinstance(value, CodeList):
        return label(value)
    if isinstance(value, Message):
        return message(value)
    if isinstance(value, tuple) and all(isinstance(part, Message) for part in value):
        return " ".join(message(part) for part in value)
    return value


def current_language() -> str:
    """Return ``da`` or ``en`` for the current request."""
    locale = get_locale()
    return locale.language if locale is not None else "da"


def label(code: Any) -> str:
    """Return the label of a code-list member in the current language."""
    if isinstance(code, CodeList):
        return code.label(current_language())
    return "" if code is None else str(code)


def number(value: Any, digits: int = 0) -> str:
    """Format a number the Danish way (1.234,5) or the English way, by locale."""
    if value is None:
        return "–"
    if type(value) not in (int, Decimal, float):
        return format_decimal(value, format="#,##0" if not digits else f"#,##0.{'0' * digits}")
    kind: type = type(value)
    return _formatted(str(get_locale()), kind, str(value), digits)


@lru_cache(maxsize=8192)
def _formatted(locale: str, kind: type, text: str, digits: int) -> str:
    """Babel's formatting of one number, kept: a page of aggregates formats the same few numbers often."""
    return numbers.format_decimal(kind(text), format="#,##0" if not digits else f"#,##0.{'0' * digits}", locale=locale)


def local_datetime(value: dt.datetime | None, fmt: str = "short") -> str:
    """Format an aware UTC datetime in Europe/Copenhagen."""
    return "" if value is None else format_datetime(value, fmt)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_time(value: dt.datetime | dt.time | None) -> str:
    """Format the local clock time (HH:MM) of a datetime (naive means UTC, as in Babel)."""
    # What Babel's "HH:mm" gives in every language, without its locale machinery (one per capture).
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return value.strftime("%H:%M")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    zone = current_app.config["TIMEZONE"] if has_app_context() else "Europe/Copenhagen"
    return value.astimezone(_zone(zone)).strftime("%H:%M")


def local_date(value: dt.date | dt.datetime | None, fmt: str = "medium") -> str:
    """Format a date the local way."""
    return "" if value is None else format_date(value, fmt)


def init_app(app: Flask) -> None:
    """Bind Flask-Babel and register the formatting filters."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path) + "/translations")
    babel.init_app(app, locale_selector=_selected_locale, timezone_selector=lambda: app.config["TIMEZONE"])
    app.jinja_env.filters.update(
        label=label, number=number, datetime=local_datetime, time=local_time, date=local_date, message=message
    )
    app.jinja_env.globals.update(current_language=current_language, languages=Language)
    # Flask-Babel's callables for ``_()`` and friends in templates, each string's catalogue found by ``catalogue``.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)  # the same, in one call
