"""Code lists of the data dictionary: stable codes with Danish and English labels.

The code (the enum value) is what the database, the API and exports store; the labels
are for people. This module is the one place the labels live.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Self


class CodeList(str, enum.Enum):  # noqa: UP042 - StrEnum would change how members are built and printed
    """A code list member: ``Member = "code", "dansk label", "English label"``."""

    label_da: str
    label_en: str

    def __new__(cls, code: str, label_da: str = "", label_en: str = "") -> Self:
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.label_da = label_da or code
        obj.label_en = label_en or code
        return obj

    if TYPE_CHECKING:  # members are built from tuples in __new__, so mypy cannot infer the value: the code

        @property
        def value(self) -> str: ...

    def __str__(self) -> str:
        return str(self.value)

    def label(self, language: str = "da") -> str:
        """Return the label in ``language`` (``da`` or ``en``)."""
        return self.label_en if language == "en" else self.label_da

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
    STAFF = "staff", "medarbejder", "staff"
    LEAD = "lead", "leder", "room lead"
    MUNICIPALITY = "municipality", "kommune", "municipality"
    NATIONAL = "national", "ministeriet/nationalt", "national"
    ADMIN = "admin", "administrator", "administrator"


ROOM_ROLES = frozenset({Role.STAFF, Role.LEAD})
TOTP_ROLES = frozenset({Role.LEAD, Role.MUNICIPALITY, Role.NATIONAL, Role.ADMIN})


class Language(CodeList):
    DA = "da", "dansk", "Danish"
    EN = "en", "engelsk", "English"


class OperatorType(CodeList):
    MUNICIPAL = "municipal", "kommunal", "municipal"
    SELF_GOVERNING = (
        "self_governing",
        "selvejende institution med driftsoverenskomst",
        "self-governing institution with an operating agreement",
    )


class RoomModel(CodeList):
    INTEGRATED = "integrated", "integreret", "integrated"
    SPECIALISED = "specialised", "specialiseret", "specialised"
    MOBILE = "mobile", "mobilt", "mobile"


class PermitStatus(CodeList):
    GRANTED = "granted", "tilladelse meddelt", "permit granted"
    APPLIED = "applied", "ansøgt", "applied for"
    PLANNED = "planned", "planlagt", "planned"
    REFUSED = "refused", "afslået", "refused"
    WITHDRAWN = "withdrawn", "trukket tilbage", "withdrawn"


#: What ``roomlog room create --permit`` and a new room accept as its first permit status.
INITIAL_PERMITS = (PermitStatus.PLANNED, PermitStatus.APPLIED, PermitStatus.GRANTED)


class ApplicationState(CodeList):
    DRAFT = "draft", "kladde", "draft"
    SUBMITTED = "submitted", "indsendt", "submitted"
    DECIDED = "decided", "afgjort", "decided"


class DecisionOutcome(CodeList):
    FULL = "full", "fuld bevilling", "granted in full"
    PARTIAL = "partial", "delvis bevilling", "granted in part"
    REFUSED = "refused", "afslag", "refused"


class PaymentKind(CodeList):
    ESTABLISHMENT = "establishment", "etablering", "establishment"
    OPERATING = "operating", "drift", "operation"


class PaymentState(CodeList):
    COMMITTED = "committed", "disponeret", "committed"
    PAID = "paid", "udbetalt", "paid"
    WITHHELD = "withheld", "tilbageholdt", "withheld"


class Sex(CodeList):
    M = "m", "mand", "male"
    F = "f", "kvinde", "female"
    X = "x", "andet", "other"
    U = "u", "uoplyst", "not stated"


class Nationality(CodeList):
    DK = "dk", "dansk", "Danish"
    EU = "eu", "anden EU/EØS", "other EU/EEA"
    NON_EU = "non_eu", "ikke-EU", "non-EU"
    U = "u", "uoplyst", "not stated"


class AgeBand(CodeList):
    A18_29 = "18_29", "18–29 år", "18–29 years"
    A30_39 = "30_39", "30–39 år", "30–39 years"
    A40_49 = "40_49", "40–49 år", "40–49 years"
    A50_PLUS = "50_plus", "50 år og derover", "50 years and over"
    U = "u", "uoplyst", "not stated"


class VisitOutcome(CodeList):
    ADMITTED = "admitted", "optaget", "admitted"
    TURNED_AWAY = "turned_away", "afvist", "turned away"


class TurnAwayReason(CodeList):
    UNDER_18 = "under_18", "under 18 år", "under 18"
    INTOXICATED = "intoxicated", "for påvirket", "too intoxicated"
    NOT_TARGET_GROUP = "not_target_group", "ikke i målgruppen", "not in the target group"
    CAPACITY = "capacity", "fuldt", "full"
    BAN = "ban", "karantæne", "ban"
    OTHER = "other", "andet", "other"


class Route(CodeList):
    INJECT = "inject", "injektion", "injection"
    SMOKE = "smoke", "rygning", "smoking"
    SNIFF = "sniff", "sniffning", "sniffing"
    ORAL = "oral", "oralt", "oral"
    OTHER = "other", "andet", "other"


class Substance(CodeList):
    HEROIN = "heroin", "heroin", "heroin"
    COCAINE = "cocaine", "kokain", "cocaine"
    CRACK = "crack", "crack/kogt kokain", "crack cocaine"
    SPEEDBALL = "speedball", "heroin+kokain", "speedball (heroin+cocaine)"
    AMPHETAMINE = "amphetamine", "amfetamin", "amphetamine"
    METHAMPHETAMINE = "methamphetamine", "metamfetamin", "methamphetamine"
    METHADONE = "methadone", "metadon", "methadone"
    BUPRENORPHINE = "buprenorphine", "buprenorfin", "buprenorphine"
    BENZODIAZEPINE = "benzodiazepine", "benzodiazepiner", "benzodiazepines"
    FENTANYL = "fentanyl", "fentanyl/syntetiske opioider", "fentanyl/synthetic opioids"
    OTHER_OPIOID = "other_opioid", "andet opioid", "other opioid"
    OTHER = "other", "andet", "other"
    U = "u", "uoplyst", "not stated"


class PlaceKind(CodeList):
    INJECTION = "injection", "injektionsplads", "injection place"
    SMOKING = "smoking", "rygeplads", "smoking place"


class EmergencyType(CodeList):
    OPIOID = "opioid", "opioidoverdosis", "opioid overdose"
    STIMULANT = "stimulant", "stimulantforgiftning", "stimulant poisoning (overamp)"
    MIXED = "mixed", "blandet", "mixed"
    OTHER_MEDICAL = "other_medical", "andet akut", "other medical emergency"
    U = "u", "uoplyst", "not stated"


#: Emergency types that are not an overdose or poisoning (never an acute treatment).
NOT_POISONING_TYPES = frozenset({EmergencyType.OTHER_MEDICAL})


class Severity(CodeList):
    RESPONSIVE = "responsive", "reagerer", "responsive"
    REDUCED_CONSCIOUSNESS = "reduced_consciousness", "nedsat bevidsthed", "reduced consciousness"
    UNRESPONSIVE_BREATHING = (
        "unresponsive_breathing",
        "bevidstløs, trækker vejret",
        "unresponsive, breathing",
    )
    RESPIRATORY_DEPRESSION = (
        "respiratory_depression",
        "utilstrækkelig/ophørt vejrtrækning",
        "respiratory depression or arrest",
    )
    CARDIAC_ARREST = "cardiac_arrest", "hjertestop", "cardiac arrest"


class EmergencyAction(CodeList):
    OBSERVATION = "observation", "overvågning", "observation"
    STIMULATION = "stimulation", "stimulation", "stimulation"
    RECOVERY_POSITION = "recovery_position", "stabilt sideleje", "recovery position"
    OXYGEN = "oxygen", "ilt", "oxygen"
    VENTILATION = "ventilation", "ventilation", "ventilation"
    NALOXONE = "naloxone", "naloxon/modgift", "naloxone"
    CPR = "cpr", "hjertelungeredning", "CPR"
    AED = "aed", "hjertestarter", "AED"
    COOLING = "cooling", "nedkøling", "cooling"
    AMBULANCE_CALLED = "ambulance_called", "ambulance tilkaldt (112)", "ambulance called (112)"
    AMBULANCE_ARRIVED = "ambulance_arrived", "ambulance ankommet", "ambulance arrived"


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
    START = "start", "start", "start"
    STOP = "stop", "stop", "stop"


class NaloxoneRoute(CodeList):
    IN = "in", "intranasal", "intranasal"
    IM = "im", "i.m.", "i.m."
    IV = "iv", "i.v.", "i.v."


class EmergencyOutcome(CodeList):
    RECOVERED_ON_SITE = "recovered_on_site", "kom sig på stedet", "recovered on site"
    TRANSPORTED = "transported", "overført til hospital", "transported to hospital"
    REFUSED_TRANSPORT = "refused_transport", "afslog transport", "refused transport"
    LEFT_AGAINST_ADVICE = "left_against_advice", "forlod stedet mod råd", "left against advice"
    DIED = "died", "død", "died"


class ReferralTarget(CodeList):
    DRUG_TREATMENT = "drug_treatment", "rusmiddelbehandling", "drug treatment"
    OST = "ost", "substitutionsbehandling", "opioid substitution treatment"
    HAT = "hat", "heroinbehandling", "heroin-assisted treatment"
    DETOX = "detox", "abstinensbehandling", "detoxification"
    GP = "gp", "egen læge", "general practitioner"
    HOSPITAL = "hospital", "hospital", "hospital"
    PSYCHIATRY = "psychiatry", "psykiatri", "psychiatry"
    HEALTH_ROOM = "health_room", "sundhedsrum", "health room"
    WOUND_CARE = "wound_care", "sårbehandling", "wound care"
    DENTAL = "dental", "tandlæge", "dentist"
    BBV_TESTING = "bbv_testing", "HIV/hepatitis-test", "HIV/hepatitis testing"
    VACCINATION = "vaccination", "vaccination", "vaccination"
    SOCIAL_CASEWORKER = "social_caseworker", "socialrådgiver", "social caseworker"
    HOUSING_SHELTER = "housing_shelter", "bolig/herberg", "housing/shelter"
    LEGAL = "legal", "juridisk rådgivning", "legal advice"
    OTHER = "other", "andet", "other"


class ReferralKind(CodeList):
    """The groups the seed reports referrals in (health, social, drug treatment)."""

    HEALTH = "health", "sundhedsfaglige tilbud", "health services"
    SOCIAL = "social", "socialfaglige tilbud", "social services"
    TREATMENT = "treatment", "rusmiddelbehandling", "drug treatment"
    OTHER = "other", "andre tilbud", "other services"


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
    INFORMATION = "information", "information", "information"
    REFERRAL = "referral", "henvisning", "referral"
    ACCOMPANIED = "accompanied", "ledsaget", "accompanied"


class ServiceCode(CodeList):
    INJECTING_EQUIPMENT = "injecting_equipment", "injektionsudstyr", "injecting equipment"
    SMOKING_EQUIPMENT = "smoking_equipment", "rygeudstyr", "smoking equipment"
    NALOXONE_KIT = "naloxone_kit", "naloxon-kit", "naloxone kit"
    HARM_REDUCTION_ADVICE = (
        "harm_reduction_advice",
        "rådgivning om sikrere brug",
        "harm reduction advice",
    )
    CONVERSATION = "conversation", "samtale", "conversation"
    WOUND_CARE = "wound_care", "sårbehandling", "wound care"
    TESTING = "testing", "test", "testing"
    FOOD_SHOWER = "food_shower", "mad/bad/tøj", "food/shower/clothes"
    OTHER = "other", "andet", "other"


class IncidentType(CodeList):
    VIOLENCE_THREAT = "violence_threat", "vold/trussel", "violence/threat"
    DEALING = "dealing", "salg af stoffer", "dealing"
    POLICE_CALLED = "police_called", "politi tilkaldt", "police called"
    BAN_ISSUED = "ban_issued", "karantæne givet", "ban issued"
    PROPERTY = "property", "hærværk", "property damage"
    OTHER = "other", "andet", "other"


class PeriodState(CodeList):
    OPEN = "open", "åben", "open"
    APPROVED = "approved", "godkendt", "approved"
    ACCEPTED = "accepted", "accepteret af kommunen", "accepted by the municipality"
