"""Every indicator of the data dictionary: stable code, Danish and English label, one definition.

This module is the single source of the definitions page and of the codes the snapshot,
the history import, exports and the API use. ``additive`` says whether values of months
(and rooms) may be summed; distinct counts and rates are recomputed over each period.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

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


class Kind(str, Enum):  # noqa: UP042 - a plain str mixin keeps the codes printable as themselves
    """How an indicator is computed, which decides how it combines over months and rooms."""

    COUNT = "count"  #: a count of records: additive
    SUM = "sum"  #: a sum of quantities: additive
    DISTINCT = "distinct"  #: a count of distinct persons: recomputed, never summed
    RATE = "rate"  #: a ratio of two additive totals: recomputed from the totals


@dataclass(frozen=True)
class Indicator:
    """One indicator: code, labels, definition (in both languages), section and kind."""

    code: str
    section: str
    label_da: str
    label_en: str
    definition_da: str
    definition_en: str
    kind: Kind = Kind.COUNT
    #: The part's parent indicator (``consumptions.route.inject`` → ``consumptions.total``).
    parent: str | None = None

    @property
    def additive(self) -> bool:
        """Whether values of separate months or rooms may be added up."""
        return self.kind in (Kind.COUNT, Kind.SUM)

    def label(self, language: str = "da") -> str:
        """Return the label in ``language``."""
        return self.label_en if language == "en" else self.label_da

    def definition(self, language: str = "da") -> str:
        """Return the definition in ``language``."""
        return self.definition_en if language == "en" else self.definition_da


SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("visits", "Besøg", "Visits"),
    ("consumptions", "Stofindtagelser", "Consumptions"),
    ("visitors", "Brugere", "Visitors"),
    ("emergencies", "Overdoser og forgiftninger", "Overdoses and poisonings"),
    ("referrals", "Henvisninger", "Referrals"),
    ("services", "Øvrige ydelser", "Other services"),
    ("opening", "Åbningsdage", "Opening days"),
)

_NOT_VOIDED_DA = " Annullerede registreringer tæller ikke."
_NOT_VOIDED_EN = " Voided records never count."


def _one(
    code: str,
    da: str,
    en: str,
    def_da: str,
    def_en: str,
    kind: Kind = Kind.COUNT,
    parent: str | None = None,
) -> Indicator:
    suffix_da, suffix_en = (_NOT_VOIDED_DA, _NOT_VOIDED_EN) if kind != Kind.RATE else ("", "")
    return Indicator(code, code.split(".")[0], da, en, def_da + suffix_da, def_en + suffix_en, kind, parent)


def _parts(
    prefix: str,
    codes: type[CodeList],
    parent: str | None,
    def_da: str,
    def_en: str,
    kind: Kind = Kind.COUNT,
) -> list[Indicator]:
    """One indicator per code-list member; ``def_*`` contain ``{label}``."""
    return [
        _one(
            f"{prefix}.{member.value}",
            member.label_da,
            member.label_en,
            def_da.format(label=member.label_da),
            def_en.format(label=member.label_en),
            kind,
            parent,
        )
        for member in codes
    ]


def _referral_kinds() -> list[Indicator]:
    """``referrals.kind.<code>``: referrals grouped as the seed reports them."""
    out = []
    for kind in ReferralKind:
        targets = [t for t, k in REFERRAL_KINDS.items() if k == kind]
        out.append(
            _one(
                f"referrals.kind.{kind.value}",
                kind.label_da,
                kind.label_en,
                f"Henvisninger til {kind.label_da}: " + ", ".join(t.label_da for t in targets) + ".",
                f"Referrals to {kind.label_en}: " + ", ".join(t.label_en for t in targets) + ".",
                parent="referrals.total",
            )
        )
    return out


def _build() -> tuple[Indicator, ...]:
    rows: list[Indicator] = [
        _one("visits.total", "Besøg", "Visits", "Antal optagne besøg.", "Number of admitted visits."),
        _one(
            "visits.turned_away",
            "Afviste besøg",
            "Turned-away visits",
            "Antal besøg med udfaldet afvist.",
            "Number of visits with the outcome turned away.",
        ),
        *_parts(
            "visits.turned_away.reason",
            TurnAwayReason,
            "visits.turned_away",
            "Afviste besøg med årsagen «{label}».",
            "Turned-away visits with the reason “{label}”.",
        ),
        _one(
            "visits.anonymous",
            "Anonyme besøg",
            "Anonymous visits",
            "Optagne besøg uden brugerkode.",
            "Admitted visits without a visitor code.",
        ),
        _one(
            "consumptions.total", "Stofindtagelser", "Consumptions", "Antal stofindtagelser.", "Number of consumptions."
        ),
        *_parts(
            "consumptions.route",
            Route,
            "consumptions.total",
            "Stofindtagelser med indtagelsesmåden «{label}» (uden angivet måde tælles i ingen).",
            "Consumptions by the route “{label}” (one without a route counts in none).",
        ),
        *_parts(
            "consumptions.substance",
            Substance,
            "consumptions.total",
            "Stofindtagelser, der omfattede «{label}» (en indtagelse kan omfatte flere stoffer).",
            "Consumptions that included “{label}” (one consumption may include several substances).",
        ),
        _one(
            "consumptions.assisted",
            "Assisterede stofindtagelser",
            "Assisted consumptions",
            "Stofindtagelser registreret som assisteret (BEK 972/2016 § 6 stk. 2).",
            "Consumptions registered as assisted (BEK 972/2016 § 6(2)).",
        ),
        _one(
            "visitors.unique",
            "Unikke brugere",
            "Unique visitors",
            "Forskellige brugerkoder (pseudonymer) med mindst ét optaget besøg i perioden; "
            "lægges ikke sammen over måneder eller rum, men tælles igen for hele perioden.",
            "Distinct visitor codes (pseudonyms) with at least one admitted visit in the period; "
            "never summed over months or rooms, always recounted over the whole period.",
            Kind.DISTINCT,
        ),
        _one(
            "visitors.new",
            "Nye brugere",
            "New visitors",
            "Brugerkoder, hvis første optagne besøg i rummet (i rummene) falder i perioden.",
            "Visitor codes whose first admitted visit in the room (in the rooms) falls in the period.",
            Kind.DISTINCT,
        ),
        *_parts(
            "visitors.sex",
            Sex,
            "visitors.unique",
            "Unikke brugere med køn «{label}».",
            "Unique visitors of sex “{label}”.",
            Kind.DISTINCT,
        ),
        *_parts(
            "visitors.age",
            AgeBand,
            "visitors.unique",
            "Unikke brugere i aldersgruppen «{label}»; alder = periodens sidste kalenderår minus fødselsår.",
            "Unique visitors in the age band “{label}”; age = last calendar year of the period minus birth year.",
            Kind.DISTINCT,
        ),
        _one(
            "emergencies.total",
            "Overdoser og forgiftninger",
            "Overdoses and poisonings",
            "Antal registrerede overdoser og forgiftninger.",
            "Number of recorded overdoses and poisonings.",
        ),
        *_parts(
            "emergencies.type",
            EmergencyType,
            "emergencies.total",
            "Overdoser og forgiftninger af typen «{label}».",
            "Overdoses and poisonings of the type “{label}”.",
        ),
        _one(
            "emergencies.acute_treatments",
            "Akutte behandlinger for overdosis og svær forgiftning",
            "Acute treatments for overdose and severe poisoning",
            "Overdoser og forgiftninger (alle typer undtagen «andet akut»), hvor personalet gav mindst én af "
            "behandlingerne naloxon, ilt, ventilation, hjertelungeredning eller hjertestarter. "
            "At tilkalde en ambulance er ikke i sig selv en behandling.",
            "Overdoses and poisonings (every type except “other medical emergency”) in which staff gave at "
            "least one of naloxone, oxygen, ventilation, CPR or AED. Calling an ambulance alone is not a "
            "treatment.",
        ),
    ]
    for action, da, en in (
        ("naloxone", "naloxon", "naloxone"),
        ("oxygen", "ilt", "oxygen"),
        ("ventilation", "ventilation", "ventilation"),
        ("cpr", "hjertelungeredning", "CPR"),
        ("ambulance_called", "ambulance tilkaldt", "ambulance called"),
    ):
        extra_da = " Tæller tilfælde (overdoser), ikke gange; se «Iltbehandlinger»." if action == "oxygen" else ""
        extra_en = " Counts cases (emergencies), not times; see “Oxygen administrations”." if action == "oxygen" else ""
        rows.append(
            _one(
                f"emergencies.{action}",
                f"Med {da}",
                f"With {en}",
                f"Overdoser og forgiftninger med mindst én handling «{da}».{extra_da}",
                f"Overdoses and poisonings with at least one “{en}” action.{extra_en}",
                parent="emergencies.total",
            )
        )
    rows.append(
        _one(
            "emergencies.oxygen_administrations",
            "Iltbehandlinger",
            "Oxygen administrations",
            "Antal gange, der blev givet ilt: en start med sit stop er én behandling, og en start uden stop "
            "er også én.",
            "Number of times oxygen was given: a start with its stop is one administration, and a start "
            "without a stop is one too.",
        )
    )
    rows += [
        _one(
            "emergencies.naloxone_doses",
            "Naloxondoser",
            "Naloxone doses",
            "Antal registrerede naloxondoser (én række pr. dosis).",
            "Number of recorded naloxone doses (one row per dose).",
        ),
        _one(
            "emergencies.hospital_transfers",
            "Overført til hospital",
            "Transferred to hospital",
            "Overdoser og forgiftninger med udfaldet overført til hospital.",
            "Overdoses and poisonings with the outcome transported to hospital.",
            parent="emergencies.total",
        ),
        _one(
            "emergencies.deaths",
            "Dødsfald",
            "Deaths",
            "Overdoser og forgiftninger med udfaldet død.",
            "Overdoses and poisonings with the outcome died.",
            parent="emergencies.total",
        ),
        _one(
            "emergencies.per_1000_consumptions",
            "Overdoser pr. 1.000 stofindtagelser",
            "Overdoses per 1,000 consumptions",
            "1000 × overdoser og forgiftninger ÷ stofindtagelser i perioden (to decimaler); "
            "tom, når der ingen stofindtagelser er.",
            "1000 × overdoses and poisonings ÷ consumptions in the period (two decimals); "
            "empty when there are no consumptions.",
            Kind.RATE,
        ),
        _one("referrals.total", "Henvisninger", "Referrals", "Antal henvisninger.", "Number of referrals."),
        *_parts(
            "referrals.target",
            ReferralTarget,
            "referrals.total",
            "Henvisninger til «{label}».",
            "Referrals to “{label}”.",
        ),
        *_referral_kinds(),
        *_parts(
            "services",
            ServiceCode,
            None,
            "Summen af antal udleveret/givet af «{label}».",
            "Sum of the quantities of “{label}” given.",
            Kind.SUM,
        ),
        _one(
            "opening.days",
            "Åbningsdage",
            "Opening days",
            "Servicedøgn med mindst ét besøg; for flere rum lægges rummenes dage sammen (rumdage).",
            "Service days with at least one visit; for several rooms, the rooms' days are added (room-days).",
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
