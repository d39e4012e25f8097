# The part of Flask-Babel roomlog uses, for mypy only: Flask-Babel 4 annotates most of these
# functions but ships no py.typed marker, so mypy would otherwise see every one as Any.
import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from babel import Locale
from flask import Flask

class LazyString(str):
    """What lazy_gettext returns: text translated each time it is turned into a str.

    Not a str subclass at run time (it proxies str), but declared one here because every place
    roomlog passes it (WTForms labels and messages, Jinja, flash) takes it as text, and the
    typeshed WTForms stubs accept only str. Do not json.dumps one without str() first.
    """

class Babel:
    def __init__(self, app: Flask | None = None, *args: Any, **kwargs: Any) -> None: ...
    def init_app(
        self,
        app: Flask,
        default_locale: str = "en",
        default_domain: str = "messages",
        default_translation_directories: str = "translations",
        default_timezone: str = "UTC",
        locale_selector: Callable[[], str | Locale | None] | None = None,  # Flask-Babel passes it to Locale.parse
        timezone_selector: Callable[[], str | None] | None = None,
    ) -> None: ...

def get_locale() -> Locale | None: ...
def get_translations() -> Any: ...
def force_locale(locale: str | Locale) -> AbstractContextManager[None]: ...
def gettext(string: str, **variables: Any) -> str: ...
def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str: ...
def lazy_gettext(string: str, **variables: Any) -> LazyString: ...
def format_datetime(datetime: dt.datetime | None = None, format: str | None = None, rebase: bool = True) -> str: ...
def format_date(date: dt.date | dt.datetime | None = None, format: str | None = None, rebase: bool = True) -> str: ...
def format_time(time: dt.time | dt.datetime | None = None, format: str | None = None, rebase: bool = True) -> str: ...
def format_decimal(number: int | float | Decimal | str, format: str | None = None) -> str: ...
