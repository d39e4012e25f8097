"""The money field both pool blueprints' forms use (shared by the views, so neither imports the other's forms)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from roomlog.funding.money import AmountError, parse_kr


class AmountField(StringField):
    """Whole kroner typed the Danish way (``1.500.000``, ``1500000``, ``1.500.000 kr.``); the data is an ``int``."""

    # Views read the data after validate_on_submit() with InputRequired or an int default: an int.
    data: int  # type: ignore[assignment]  # StringField's data is the text; this field's is the parsed kroner

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = valuelist[0] if valuelist else ""
        self.raw_text = raw
        try:
            self.data = parse_kr(raw)
        except AmountError as exc:
            self.data = None  # type: ignore[assignment]  # a text that does not parse fails validation
            raise ValueError(_l("Write a whole number of kroner from 0 up, e.g. 1.500.000.")) from exc

    def _value(self) -> str:
        if getattr(self, "raw_text", None) is not None:
            return str(self.raw_text)
        if self.data is None:
            return ""
        from roomlog.funding.money import format_kr

        return format_kr(int(self.data)).removesuffix(" kr.")
