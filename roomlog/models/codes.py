"""Code lists of the data dictionary: stable codes with their English labels.

The code (the enum value) is what the database, the API and exports store; the labels are for
people. Each label is an English msgid marked for the catalogue; its Danish is in
``roomlog/translations/da/LC_MESSAGES/messages.po`` like every other Danish text (``C_`` gives a
context where one English word has two Danish translations).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Self

from roomlog.messages import C_, N_, translate


class CodeList(str, enum.Enum):  # noqa: UP042 - StrEnum would change how members are built and printed
    """A code list member: ``Member = "code", N_("English label")`` (or ``C_("context", "label")``)."""

    label_en: str
    label_context: str | None

    def __new__(cls, code: str, label: str | tuple[str, str] = "") -> Self:
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.label_context, obj.label_en = label if isinstance(label, tuple) else (None, label or code)
        return obj

    if TYPE_CHECKING:  # members are built from tuples in __new__, so mypy cannot infer the value: the code

        @property
        def value(self) -> str: ...

    def __str__(self) -> str:
        return str(self.value)

    @property
    def label_da(self) -> str:
        """The Danish label, from the catalogue."""
        return self.label("da")

    def label(self, language: str = "da") -> str:
        """Return the label in ``language`` (``da`` or ``en``)."""
        return translate(language, self.label_en, self.label_context)

    @classmethod
    def codes(cls) -> list[str]:
        """Return every code in order."""
        return [member.value for member in cls]

    @classmethod
    def choices(cls, language: str = "da") -> list[tuple[str, str]]:
        """Return ``(code, label)`` pairs for a form."""
        return [(member.value, member.label(language)) for member in cls]

    @classmethod
    def parse(cls, value: Any) -> Self:
        """Return the member for a code, raising ``ValueError`` for an unknown code."""
        return cls(value)


class Role(CodeList):
    STAFF = "staff", N_("staff")
    LEAD = "lead", N_("room lead")
    MUNICIPALITY = "municipality", N_("municipality")
    NATIONAL = "national", N_("national")
    ADMIN = "admin", N_("administrator")


ROOM_ROLES = frozenset({Role.STAFF, Role.LEAD})
TOTP_ROLES = frozenset({Role.LEAD, Role.MUNICIPALITY, Role.NATIONAL, Role.ADMIN})


class Language(CodeList):
    DA = "da", N_("Danish")
    EN = "en", N_("English")


class OperatorType(CodeList):
    MUNICIPAL = "municipal", N_("municipal")
    SELF_GOVERNING = "self_governing", N_("self-governing institution with an operating agreement")


class RoomModel(CodeList):
    INTEGRATED = "integrated", N_("integrated")
    SPECIALISED = "specialised", N_("specialised")
    MOBILE = "mobile", N_("mobile")


class PermitStatus(CodeList):
    GRANTED = "granted", N_("permit granted")
    APPLIED = "applied", N_("applied for")
    PLANNED = "planned", N_("planned")
    REFUSED = "refused", C_("permit", "refused")
    WITHDRAWN = "withdrawn", N_("withdrawn")


#: What ``roomlog room create --permit`` and a new room accept as its first permit status.
INITIAL_PERMITS = (PermitStatus.PLANNED, PermitStatus.APPLIED, PermitStatus.GRANTED)


class ApplicationState(CodeList):
    DRAFT = "draft", N_("draft")
    SUBMITTED = "submitted", N_("submitted")
    DECIDED = "decided", N_("decided")


class DecisionOutcome(CodeList):
    FULL = "full", N_("granted in full")
    PARTIAL = "partial", N_("granted in part")
    REFUSED = "refused", C_("decision", "refused")


class PaymentKind(CodeList):
    ESTABLISHMENT = "establishment", N_("establishment")
    OPERATING = "operating", N_("operation")


class PaymentState(CodeList):
    COMMITTED = "committed", N_("committed")
    PAID = "paid", N_("paid")
    WITHHELD = "withheld", N_("withheld")


class Sex(CodeList):
    M = "m", N_("male")
    F = "f", N_("female")
    X = "x", N_("other")
    U = "u", N_("not stated")


class Nationality(CodeList):
    DK = "dk", N_("Danish")
    EU = "eu", N_("other EU/EEA")
    NON_EU = "non_eu", N_("non-EU")
    U = "u", N_("not stated")


class AgeBand(CodeList):
    A18_29 = "18_29", N_("18–29 years")
    A30_39 = "30_39", N_("30–39 years")
    A40_49 = "40_49", N_("40–49 years")
    A50_PLUS = "50_plus", N_("50 years and over")
    U = "u", N_("not stated")


class VisitOutcome(CodeList):
    ADMITTED = "admitted", N_("admitted")
    TURNED_AWAY = "turned_away", N_("turned away")


class TurnAwayReason(CodeList):
    UNDER_18 = "under_18", N_("under 18")
    INTOXICATED = "intoxicated", N_("too intoxicated")
    NOT_TARGET_GROUP = "not_target_group", N_("not in the target group")
    CAPACITY = "capacity", N_("full")
    BAN = "ban", N_("ban")
    OTHER = "other", N_("other")


class Route(CodeList):
    INJECT = "inject", N_("injection")
    SMOKE = "smoke", N_("smoking")
    SNIFF = "sniff", N_("sniffing")
    ORAL = "oral", N_("oral")
    OTHER = "other", N_("other")


class Substance(CodeList):
    HEROIN = "heroin", N_("heroin")
    COCAINE = "cocaine", N_("cocaine")
    CRACK = "crack", N_("crack cocaine")
    SPEEDBALL = "speedball", N_("speedball (heroin+cocaine)")
    AMPHETAMINE = "amphetamine", N_("amphetamine")
    METHAMPHETAMINE = "methamphetamine", N_("methamphetamine")
    METHADONE = "methadone", N_("methadone")
    BUPRENORPHINE = "buprenorphine", N_("buprenorphine")
    BENZODIAZEPINE = "benzodiazepine", N_("benzodiazepines")
    FENTANYL = "fentanyl", N_("fentanyl/synthetic opioids")
    OTHER_OPIOID = "other_opioid", N_("other opioid")
    OTHER = "other", N_("other")
    U = "u", N_("not stated")


class PlaceKind(CodeList):
    INJECTION = "injection", N_("injection place")
    SMOKING = "smoking", N_("smoking place")


class EmergencyType(CodeList):
    OPIOID = "opioid", N_("opioid overdose")
    STIMULANT = "stimulant", N_("stimulant poisoning (overamp)")
    MIXED = "mixed", N_("mixed")
    OTHER_MEDICAL = "other_medical", N_("other medical emergency")
    U = "u", N_("not stated")


#: Emergency types that are not an overdose or poisoning (never an acute treatment).
NOT_POISONING_TYPES = frozenset({EmergencyType.OTHER_MEDICAL})


class Severity(CodeList):
    RESPONSIVE = "responsive", N_("responsive")
    REDUCED_CONSCIOUSNESS = "reduced_consciousness", N_("reduced consciousness")
    UNRESPONSIVE_BREATHING = "unresponsive_breathing", N_("unresponsive, breathing")
    RESPIRATORY_DEPRESSION = "respiratory_depression", N_("respiratory depression or arrest")
    CARDIAC_ARREST = "cardiac_arrest", N_("cardiac arrest")


class EmergencyAction(CodeList):
    OBSERVATION = "observation", N_("observation")
    STIMULATION = "stimulation", N_("stimulation")
    RECOVERY_POSITION = "recovery_position", N_("recovery position")
    OXYGEN = "oxygen", N_("oxygen")
    VENTILATION = "ventilation", N_("ventilation")
    NALOXONE = "naloxone", N_("naloxone")
    CPR = "cpr", N_("CPR")
    AED = "aed", N_("AED")
    COOLING = "cooling", N_("cooling")
    AMBULANCE_CALLED = "ambulance_called", N_("ambulance called (112)")
    AMBULANCE_ARRIVED = "ambulance_arrived", N_("ambulance arrived")


#: Actions by staff that make an overdose or poisoning an *akut behandling* (acute treatment);
#: calling an ambulance alone is not a treatment (data dictionary, "Indicators").
ACUTE_TREATMENT_ACTIONS = frozenset(
    {
        EmergencyAction.NALOXONE,
        EmergencyAction.OXYGEN,
        EmergencyAction.VENTILATION,
        EmergencyAction.CPR,
        EmergencyAction.AED,
    }
)


class OxygenPhase(CodeList):
    START = "start", N_("start")
    STOP = "stop", N_("stop")


class NaloxoneRoute(CodeList):
    IN = "in", N_("intranasal")
    IM = "im", N_("i.m.")
    IV = "iv", N_("i.v.")


class EmergencyOutcome(CodeList):
    RECOVERED_ON_SITE = "recovered_on_site", N_("recovered on site")
    TRANSPORTED = "transported", N_("transported to hospital")
    REFUSED_TRANSPORT = "refused_transport", N_("refused transport")
    LEFT_AGAINST_ADVICE = "left_against_advice", N_("left against advice")
    DIED = "died", N_("died")


class ReferralTarget(CodeList):
    DRUG_TREATMENT = "drug_treatment", N_("drug treatment")
    OST = "ost", N_("opioid substitution treatment")
    HAT = "hat", N_("heroin-assisted treatment")
    DETOX = "detox", N_("detoxification")
    GP = "gp", N_("general practitioner")
    HOSPITAL = "hospital", N_("hospital")
    PSYCHIATRY = "psychiatry", N_("psychiatry")
    HEALTH_ROOM = "health_room", N_("health room")
    WOUND_CARE = "wound_care", N_("wound care")
    DENTAL = "dental", N_("dentist")
    BBV_TESTING = "bbv_testing", N_("HIV/hepatitis testing")
    VACCINATION = "vaccination", N_("vaccination")
    SOCIAL_CASEWORKER = "social_caseworker", N_("social caseworker")
    HOUSING_SHELTER = "housing_shelter", N_("housing/shelter")
    LEGAL = "legal", N_("legal advice")
    OTHER = "other", N_("other")


class ReferralKind(CodeList):
    """The groups the seed reports referrals in (health, social, drug treatment)."""

    HEALTH = "health", N_("health services")
    SOCIAL = "social", N_("social services")
    TREATMENT = "treatment", N_("drug treatment")
    OTHER = "other", N_("other services")


#: The kind of every referral target (every target has exactly one kind).
REFERRAL_KINDS: dict[ReferralTarget, ReferralKind] = {
    ReferralTarget.DRUG_TREATMENT: ReferralKind.TREATMENT,
    ReferralTarget.OST: ReferralKind.TREATMENT,
    ReferralTarget.HAT: ReferralKind.TREATMENT,
    ReferralTarget.DETOX: ReferralKind.TREATMENT,
    ReferralTarget.GP: ReferralKind.HEALTH,
    ReferralTarget.HOSPITAL: ReferralKind.HEALTH,
    ReferralTarget.PSYCHIATRY: ReferralKind.HEALTH,
    ReferralTarget.HEALTH_ROOM: ReferralKind.HEALTH,
    ReferralTarget.WOUND_CARE: ReferralKind.HEALTH,
    ReferralTarget.DENTAL: ReferralKind.HEALTH,
    ReferralTarget.BBV_TESTING: ReferralKind.HEALTH,
    ReferralTarget.VACCINATION: ReferralKind.HEALTH,
    ReferralTarget.SOCIAL_CASEWORKER: ReferralKind.SOCIAL,
    ReferralTarget.HOUSING_SHELTER: ReferralKind.SOCIAL,
    ReferralTarget.LEGAL: ReferralKind.SOCIAL,
    ReferralTarget.OTHER: ReferralKind.OTHER,
}


class ReferralMode(CodeList):
    INFORMATION = "information", N_("information")
    REFERRAL = "referral", N_("referral")
    ACCOMPANIED = "accompanied", N_("accompanied")


class ServiceCode(CodeList):
    INJECTING_EQUIPMENT = "injecting_equipment", N_("injecting equipment")
    SMOKING_EQUIPMENT = "smoking_equipment", N_("smoking equipment")
    NALOXONE_KIT = "naloxone_kit", N_("naloxone kit")
    HARM_REDUCTION_ADVICE = "harm_reduction_advice", N_("harm reduction advice")
    CONVERSATION = "conversation", N_("conversation")
    WOUND_CARE = "wound_care", N_("wound care")
    TESTING = "testing", N_("testing")
    FOOD_SHOWER = "food_shower", N_("food/shower/clothes")
    OTHER = "other", N_("other")


class IncidentType(CodeList):
    VIOLENCE_THREAT = "violence_threat", N_("violence/threat")
    DEALING = "dealing", N_("dealing")
    POLICE_CALLED = "police_called", N_("police called")
    BAN_ISSUED = "ban_issued", N_("ban issued")
    PROPERTY = "property", N_("property damage")
    OTHER = "other", N_("other")


class PeriodState(CodeList):
    OPEN = "open", N_("open")
    APPROVED = "approved", N_("approved")
    ACCEPTED = "accepted", N_("accepted by the municipality")
