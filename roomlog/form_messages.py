"""WTForms' own validation messages, translated through roomlog's catalogue.

WTForms ships no Danish messages, so a form that uses :class:`TranslatedMeta` looks its
messages up in our own catalogue instead. The list below only marks them for extraction.
Danish and English share the plural rule (one / other), so a plural is looked up as the
singular or plural English sentence.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

#: The messages of the WTForms fields and validators roomlog uses (marked for extraction).
MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("'%(value)s' are not valid choices for this field."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Field must be at least %(min)d character long."),
    _l("Field must be at least %(min)d characters long."),
    _l("Field cannot be longer than %(max)d character."),
    _l("Field cannot be longer than %(max)d characters."),
    _l("Field must be exactly %(max)d character long."),
    _l("Field must be exactly %(max)d characters long."),
)


class CatalogueTranslations:
    """The ``gettext``/``ngettext`` pair WTForms asks for, answered from roomlog's catalogue."""

    def gettext(self, string: str) -> str:
        """Return the translation of ``string`` (the string itself when there is none)."""
        return gettext(string) if string else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Return the translation of the singular or plural sentence."""
        return self.gettext(singular if n == 1 else plural)


TRANSLATIONS = CatalogueTranslations()


class TranslatedForm(FlaskForm):
    """A Flask-WTF form whose built-in messages come from roomlog's catalogue."""

    class Meta:
        def get_translations(self, form: Any) -> CatalogueTranslations:
            return TRANSLATIONS
