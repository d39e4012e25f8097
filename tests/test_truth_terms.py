"""Demo facts and terminology as in the proposal (issue #11 item 11)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from roomlog.models import Municipality
from roomlog.models.codes import REFERRAL_KINDS, OperatorType, ReferralKind, ReferralTarget, Route
from roomlog.operations.demo.facts import ROOMS
from roomlog.reporting.indicators import BY_CODE
from roomlog.reporting.queries import ReferralRow
from roomlog.reporting.summary import EventRows, additive_by_month

ROOT = Path(__file__).resolve().parent.parent
MARCH = dt.date(2026, 3, 1)


def test_demo_operators_and_opening_order_follow_the_proposal() -> None:
    rooms = {r.name: r for r in ROOMS}
    for name in ("Odense", "Aarhus", "Vejle"):
        assert rooms[name].operator == "Kirkens Korshær"
        assert rooms[name].operator_type == OperatorType.SELF_GOVERNING
    for name in ("Skyen", "H17"):
        assert rooms[name].operator == "Københavns Kommune"
        assert rooms[name].operator_type == OperatorType.MUNICIPAL
    assert rooms["Odense"].opened < rooms["Aarhus"].opened < rooms["Vejle"].opened
    assert OperatorType.SELF_GOVERNING.label_da == "selvejende institution med driftsoverenskomst"


def test_terms_as_in_the_seed() -> None:
    assert Route.SNIFF.label_da == "sniffning"
    assert ReferralTarget.DRUG_TREATMENT.label_da == "rusmiddelbehandling"
    assert ReferralKind.HEALTH.label_da == "sundhedsfaglige tilbud"
    assert ReferralKind.SOCIAL.label_da == "socialfaglige tilbud"
    assert ReferralKind.TREATMENT.label_da == "rusmiddelbehandling"
    assert Municipality(code="101", name="København").official_name == "Københavns Kommune"
    assert Municipality(code="461", name="Odense").official_name == "Odense Kommune"


@pytest.mark.parametrize("folder", ["roomlog", "templates", "i18n"])
def test_old_terms_are_gone(folder: str) -> None:
    for path in (ROOT / folder).rglob("*"):
        if path.suffix in {".py", ".html", ".json"}:
            text = path.read_text(encoding="utf-8")
            for old in ("stofbehandling", 'sniffe"', "København kommune"):
                assert old not in text, (path, old)


def test_every_referral_target_has_one_kind_and_the_kinds_add_up() -> None:
    assert set(REFERRAL_KINDS) == set(ReferralTarget)
    rows = tuple(ReferralRow(1, MARCH, t.value, n) for n, t in enumerate(ReferralTarget, start=1))
    values = additive_by_month(EventRows(referrals=rows))[(1, MARCH)]
    kinds = [f"referrals.kind.{k.value}" for k in ReferralKind]
    assert all(BY_CODE[k].parent == "referrals.total" for k in kinds)
    assert sum(values[k] for k in kinds) == values["referrals.total"]
    treatment = sum(n for n, t in enumerate(ReferralTarget, start=1) if REFERRAL_KINDS[t] == ReferralKind.TREATMENT)
    assert values["referrals.kind.treatment"] == treatment


def test_the_glossary_is_linked_and_names_the_codes() -> None:
    glossary = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    assert "docs/glossary.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    for term in ("rusmiddelbehandling", "sundhedsfaglige tilbud", "socialfaglige tilbud", "sniffning",
                 "Københavns Kommune", "`referrals.kind.health`", "`emergencies.oxygen_administrations`"):  # fmt: skip
        assert term in glossary
