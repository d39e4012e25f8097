"""Every indicator of the data dictionary: stable code, label, one definition.

This module is the single source of the definitions page and of the codes the snapshot,
the history import, exports and the API use. ``additive`` says whether values of months
(and rooms) may be summed; distinct counts and rates are recomputed over each period.
Labels and definitions are English msgids; their Danish is in the catalogue
(``roomlog/translations/da/LC_MESSAGES/messages.po``), read with ``roomlog.messages.translate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from roomlog.messages import C_, N_, translate
from roomlog.models.codes import (
    REFERRAL_KINDS,
    AgeBand,
    CodeList,
    EmergencyType,
    ReferralKind,
    ReferralTarget,
    Route,
    ServiceCode,
    Sex,
    Substance,
    TurnAwayReason,
)

#: A word filled into a text: a code-list member (its label), a msgid, or a ``C_`` (context, msgid).
Word = CodeList | str | tuple[str, str]


def _word(word: Word, language: str) -> str:
    if isinstance(word, CodeList):
        return word.label(language)
    return translate(language, word[1], word[0]) if isinstance(word, tuple) else translate(language, word)


@dataclass(frozen=True)
class Text:
    """An English msgid whose ``{name}`` fields are filled with words in the same language.

    ``words`` maps a field to the words joined with ", "; ``more`` are msgids of sentences appended.
    """

    msgid: str
    words: tuple[tuple[str, tuple[Word, ...]], ...] = ()
    more: tuple[str, ...] = ()

    def __call__(self, language: str) -> str:
        """The text in ``language`` (``da`` or ``en``)."""
        return _render(self, language)


@lru_cache(maxsize=4096)
def _render(text: Text, language: str) -> str:
    """A text in a language, kept: pages and downloads ask for the same labels many times."""
    found = translate(language, text.msgid)
    if text.words:
        found = found.format(**{name: ", ".join(_word(w, language) for w in ws) for name, ws in text.words})
    return " ".join([found, *(translate(language, more) for more in text.more)])


class Kind(str, Enum):  # noqa: UP042 - a plain str mixin keeps the codes printable as themselves
    """How an indicator is computed, which decides how it combines over months and rooms."""

    COUNT = "count"  #: a count of records: additive
    SUM = "sum"  #: a sum of quantities: additive
    DISTINCT = "distinct"  #: a count of distinct persons: recomputed, never summed
    RATE = "rate"  #: a ratio of two additive totals: recomputed from the totals


@dataclass(frozen=True)
class Indicator:
    """One indicator: code, label, definition, section and kind."""

    code: str
    section: str
    label_text: Text
    definition_text: Text
    kind: Kind = Kind.COUNT
    #: The part's parent indicator (``consumptions.route.inject`` → ``consumptions.total``).
    parent: str | None = None

    @property
    def additive(self) -> bool:
        """Whether values of separate months or rooms may be added up."""
        return self.kind in (Kind.COUNT, Kind.SUM)

    def label(self, language: str = "da") -> str:
        """Return the label in ``language``."""
        return self.label_text(language)

    def definition(self, language: str = "da") -> str:
        """Return the definition in ``language``."""
        return self.definition_text(language)

    @property
    def label_da(self) -> str:
        """The Danish label."""
        return self.label("da")

    @property
    def label_en(self) -> str:
        """The English label."""
        return self.label("en")

    @property
    def definition_da(self) -> str:
        """The Danish definition."""
        return self.definition("da")

    @property
    def definition_en(self) -> str:
        """The English definition."""
        return self.definition("en")


SECTIONS: tuple[tuple[str, str], ...] = (
    ("visits", N_("Visits")),
    ("consumptions", N_("Consumptions")),
    ("visitors", N_("Visitors")),
    ("emergencies", N_("Overdoses and poisonings")),
    ("referrals", N_("Referrals")),
    ("services", N_("Other services")),
    ("opening", N_("Opening days")),
)

_NOT_VOIDED = N_("Voided records never count.")


def section_title(section: str, language: str) -> str:
    """The heading of an indicator section in ``language`` (the code itself for an unknown one)."""
    return next((translate(language, title) for code, title in SECTIONS if code == section), section)


def _one(
    code: str,
    label: str | Text,
    definition: str | Text,
    kind: Kind = Kind.COUNT,
    parent: str | None = None,
) -> Indicator:
    label = label if isinstance(label, Text) else Text(label)
    definition = definition if isinstance(definition, Text) else Text(definition)
    if kind != Kind.RATE:
        definition = Text(definition.msgid, definition.words, (*definition.more, _NOT_VOIDED))
    return Indicator(code, code.split(".")[0], label, definition, kind, parent)


def _parts(
    prefix: str,
    codes: type[CodeList],
    parent: str | None,
    definition: str,
    kind: Kind = Kind.COUNT,
) -> list[Indicator]:
    """One indicator per code-list member; ``definition`` contains ``{label}``."""
    return [
        _one(
            f"{prefix}.{member.value}",
            Text("{label}", (("label", (member,)),)),
            Text(definition, (("label", (member,)),)),
            kind,
            parent,
        )
        for member in codes
    ]


def _referral_kinds() -> list[Indicator]:
    """``referrals.kind.<code>``: referrals grouped as the seed reports them."""
    out = []
    for kind in ReferralKind:
        targets = tuple(t for t, k in REFERRAL_KINDS.items() if k == kind)
        out.append(
            _one(
                f"referrals.kind.{kind.value}",
                Text("{label}", (("label", (kind,)),)),
                Text(N_("Referrals to {kind}: {targets}."), (("kind", (kind,)), ("targets", targets))),
                parent="referrals.total",
            )
        )
    return out


def _build() -> tuple[Indicator, ...]:
    rows: list[Indicator] = [
        _one(
            "visits.total",
            N_("Visits"),
            N_("Number of admitted visits."),
        ),
        _one(
            "visits.turned_away",
            N_("Turned-away visits"),
            N_("Number of visits with the outcome turned away."),
        ),
        *_parts(
            "visits.turned_away.reason",
            TurnAwayReason,
            "visits.turned_away",
            N_("Turned-away visits with the reason “{label}”."),
        ),
        _one(
            "visits.anonymous",
            N_("Anonymous visits"),
            N_("Admitted visits without a visitor code."),
        ),
        _one(
            "consumptions.total",
            N_("Consumptions"),
            N_("Number of consumptions."),
        ),
        *_parts(
            "consumptions.route",
            Route,
            "consumptions.total",
            N_("Consumptions by the route “{label}” (one without a route counts in none)."),
        ),
        *_parts(
            "consumptions.substance",
            Substance,
            "consumptions.total",
            N_("Consumptions that included “{label}” (one consumption may include several substances)."),
        ),
        _one(
            "consumptions.assisted",
            N_("Assisted consumptions"),
            N_("Consumptions registered as assisted (BEK 972/2016 § 6(2))."),
        ),
        _one(
            "visitors.unique",
            N_("Unique visitors"),
            N_(
                "Distinct visitor codes (pseudonyms) with at least one admitted visit in the period; never "
                "summed over months or rooms, always recounted over the whole period."
            ),
            Kind.DISTINCT,
        ),
        _one(
            "visitors.new",
            N_("New visitors"),
            N_("Visitor codes whose first admitted visit in the room (in the rooms) falls in the period."),
            Kind.DISTINCT,
        ),
        *_parts(
            "visitors.sex",
            Sex,
            "visitors.unique",
            N_("Unique visitors of sex “{label}”."),
            Kind.DISTINCT,
        ),
        *_parts(
            "visitors.age",
            AgeBand,
            "visitors.unique",
            N_("Unique visitors in the age band “{label}”; age = last calendar year of the period minus birth year."),
            Kind.DISTINCT,
        ),
        _one(
            "emergencies.total",
            N_("Overdoses and poisonings"),
            N_("Number of recorded overdoses and poisonings."),
        ),
        *_parts(
            "emergencies.type",
            EmergencyType,
            "emergencies.total",
            N_("Overdoses and poisonings of the type “{label}”."),
        ),
        _one(
            "emergencies.acute_treatments",
            N_("Acute treatments for overdose and severe poisoning"),
            N_(
                "Overdoses and poisonings (every type except “other medical emergency”) in which staff gave"
                " at least one of naloxone, oxygen, ventilation, CPR or AED. Calling an ambulance alone is "
                "not a treatment."
            ),
        ),
    ]
    for action, word in (
        ("naloxone", C_("indicator", "naloxone")),
        ("oxygen", C_("indicator", "oxygen")),
        ("ventilation", C_("indicator", "ventilation")),
        ("cpr", C_("indicator", "CPR")),
        ("ambulance_called", C_("indicator", "ambulance called")),
    ):
        words: tuple[tuple[str, tuple[Word, ...]], ...] = (("action", (word,)),)
        more = (
            (N_("Counts cases (emergencies), not times; see “Oxygen administrations”."),) if action == "oxygen" else ()
        )
        rows.append(
            _one(
                f"emergencies.{action}",
                Text(N_("With {action}"), words),
                Text(N_("Overdoses and poisonings with at least one “{action}” action."), words, more),
                parent="emergencies.total",
            )
        )
    rows.append(
        _one(
            "emergencies.oxygen_administrations",
            N_("Oxygen administrations"),
            N_(
                "Number of times oxygen was given: a start with its stop is one administration, and a start"
                " without a stop is one too."
            ),
        )
    )
    rows += [
        _one(
            "emergencies.naloxone_doses",
            N_("Naloxone doses"),
            N_("Number of recorded naloxone doses (one row per dose)."),
        ),
        _one(
            "emergencies.hospital_transfers",
            N_("Transferred to hospital"),
            N_("Overdoses and poisonings with the outcome transported to hospital."),
            parent="emergencies.total",
        ),
        _one(
            "emergencies.deaths",
            N_("Deaths"),
            N_("Overdoses and poisonings with the outcome died."),
            parent="emergencies.total",
        ),
        _one(
            "emergencies.per_1000_consumptions",
            N_("Overdoses per 1,000 consumptions"),
            N_(
                "1000 × overdoses and poisonings ÷ consumptions in the period (two decimals); empty when "
                "there are no consumptions."
            ),
            Kind.RATE,
        ),
        _one(
            "referrals.total",
            N_("Referrals"),
            N_("Number of referrals."),
        ),
        *_parts(
            "referrals.target",
            ReferralTarget,
            "referrals.total",
            N_("Referrals to “{label}”."),
        ),
        *_referral_kinds(),
        *_parts(
            "services",
            ServiceCode,
            None,
            N_("Sum of the quantities of “{label}” given."),
            Kind.SUM,
        ),
        _one(
            "opening.days",
            N_("Opening days"),
            N_("Service days with at least one visit; for several rooms, the rooms' days are added (room-days)."),
        ),
    ]
    return tuple(rows)


INDICATORS: tuple[Indicator, ...] = _build()

#: Breakdowns whose parts exclude each other, so the parts add up to at most their parent
#: (a consumption has one route; it may include several substances, so substances are not here).
EXCLUSIVE_BREAKDOWNS: tuple[str, ...] = (
    "visits.turned_away.reason",
    "consumptions.route",
    "emergencies.type",
    "referrals.target",
    "referrals.kind",
    "visitors.sex",
    "visitors.age",
)
#: ``(smaller, larger)``: pairs besides the parent relations where one indicator can never
#: exceed another in the same room and period (each follows from the definitions).
BOUNDS: tuple[tuple[str, str], ...] = (
    ("visits.anonymous", "visits.total"),
    ("consumptions.assisted", "consumptions.total"),
    ("emergencies.acute_treatments", "emergencies.total"),
    ("emergencies.naloxone", "emergencies.naloxone_doses"),
    ("emergencies.oxygen", "emergencies.oxygen_administrations"),
    ("visitors.new", "visitors.unique"),
    ("visitors.unique", "visits.total"),
)
BY_CODE: dict[str, Indicator] = {indicator.code: indicator for indicator in INDICATORS}
CODES: tuple[str, ...] = tuple(BY_CODE)
ADDITIVE_CODES: tuple[str, ...] = tuple(i.code for i in INDICATORS if i.additive)
DISTINCT_CODES: tuple[str, ...] = tuple(i.code for i in INDICATORS if i.kind == Kind.DISTINCT)


def get(code: str) -> Indicator:
    """Return the indicator with ``code``, raising ``KeyError`` for an unknown code."""
    return BY_CODE[code]


def in_section(section: str) -> list[Indicator]:
    """Return the indicators of one section, in dictionary order."""
    return [i for i in INDICATORS if i.section == section]


def is_rate(code: str) -> bool:
    """Whether ``code`` is a rate (shown with two decimals); ``False`` for a code that is no indicator."""
    found = BY_CODE.get(code)
    return found is not None and found.kind == Kind.RATE
