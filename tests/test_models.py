"""The data model: privacy by construction, codes stored by value, UTC timestamps."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import re

import pytest
from sqlalchemy import Date, DateTime, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from roomlog import PROJECT_ROOT
from roomlog.models import Base, Visit, codes
from roomlog.models.codes import CodeList, EmergencyType, Language, Role, Route, Sex, Substance, VisitOutcome
from tests.support.factories import Factory

#: Models and services on one connection, each test rolled back (tests/support/rollback.py).
pytestmark = pytest.mark.rollback

FORBIDDEN = re.compile(r"(^|_)(name|first_?name|last_?name|cpr|birth_?date|dob|visitor_?code|raw_?code)$")
ALLOWED_NAMES = {
    ("rooms", "name"),
    ("rooms", "operator_name"),
    ("municipalities", "name"),
    ("api_tokens", "name"),
    ("users", "username"),
}


def test_no_column_can_hold_a_name_cpr_birth_date_or_raw_code() -> None:
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if (table.name, column.name) in ALLOWED_NAMES:
                continue
            assert not FORBIDDEN.search(column.name), f"{table.name}.{column.name}"
    visitors = Base.metadata.tables["visitors"]
    assert not [c for c in visitors.columns if isinstance(c.type, Date | DateTime) and "birth" in c.name]
    assert {c.name for c in visitors.columns} == {
        "id",
        "pseudonym",
        "check_word",
        "birth_year",
        "sex",
        "nationality",
        "first_registered_at",
        "home_room_id",
    }


def test_every_event_table_has_a_unique_idempotency_key_and_void_fields() -> None:
    for name in ("visits", "consumptions", "emergencies", "emergency_actions", "referrals", "services", "incidents"):
        table = Base.metadata.tables[name]
        for column in ("occurred_at", "recorded_at", "idempotency_key", "voided", "void_reason", "room_id"):
            assert column in table.columns, f"{name}.{column}"
        assert table.columns["idempotency_key"].unique


def test_every_constraint_is_named() -> None:
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"


@pytest.mark.both_databases
def test_codes_are_stored_by_value_and_times_in_utc(make: Factory, dbs: Session) -> None:
    room = make.room(opened_on=make.LONG_OPEN)
    at = dt.datetime(2024, 3, 31, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    visit = make.visit(room, occurred_at=at)
    make.consumption(visit, room, route=Route.SMOKE, substances=(Substance.CRACK, Substance.HEROIN))
    route = dbs.execute(text("SELECT route FROM consumptions")).scalar_one()
    assert route == "smoke"
    subs = set(dbs.execute(text("SELECT substance FROM consumption_substances")).scalars())
    assert subs == {"crack", "heroin"}
    dbs.expire_all()
    loaded = dbs.get(Visit, visit.id)
    assert loaded.occurred_at == at
    assert loaded.occurred_at.tzinfo is dt.UTC
    assert loaded.service_day == dt.date(2024, 3, 30)  # before the 05:00 cut-off


def test_naive_datetimes_are_refused(make: Factory, dbs: Session) -> None:
    room = make.room()
    dbs.add(
        Visit(
            room_id=room.id,
            occurred_at=dt.datetime(2024, 1, 1, 12, 0),
            service_day=dt.date(2024, 1, 1),
            outcome=VisitOutcome.ADMITTED,
            idempotency_key="naive",
        )
    )
    with pytest.raises(StatementError, match="naive"):
        dbs.flush()
    dbs.rollback()


def _declared_members() -> dict[str, dict[str, tuple[str, str | None, str]]]:
    """Every code list member as written in codes.py: ``{list: {member: (code, context, English label)}}``.

    A member is spelled ``"code", N_("English label")`` or ``"code", C_("context", "English label")``;
    anything else (a bare string, a missing label) is returned as it is so the test names it.
    """
    tree = ast.parse(inspect.getsource(codes))
    lists: dict[str, dict[str, tuple[str, str | None, str]]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") == "CodeList" for b in node.bases):
            members = lists.setdefault(node.name, {})
            for item in node.body:
                if not (isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name)):
                    continue
                value = item.value
                assert isinstance(value, ast.Tuple) and len(value.elts) == 2, f"{node.name}.{item.targets[0].id}"
                code, label = value.elts
                assert isinstance(label, ast.Call) and getattr(label.func, "id", "") in ("N_", "C_"), (
                    f"{node.name}.{item.targets[0].id}: the label is not marked for the catalogue"
                )
                parts = [ast.literal_eval(arg) for arg in label.args]
                context = parts[0] if len(parts) == 2 else None
                members[item.targets[0].id] = (ast.literal_eval(code), context, parts[-1])
    return lists


def test_every_code_is_declared_with_its_own_danish_and_english_label() -> None:
    """No label falls back to the code: each member names an English label that the Danish catalogue
    translates, and labels are distinct within their list in both languages."""
    from babel.messages.pofile import read_po

    with (PROJECT_ROOT / "roomlog/translations/da/LC_MESSAGES/messages.po").open("rb") as fh:
        danish = read_po(fh)
    declared = _declared_members()
    lists = {code_list.__name__: code_list for code_list in CodeList.__subclasses__()}
    assert len(lists) >= 20
    assert set(declared) == set(lists), "every code list lives in roomlog/models/codes.py"
    for name, code_list in lists.items():
        assert set(declared[name]) == set(code_list.__members__), name
        for member_name, (code, context, english) in declared[name].items():
            assert english.strip(), f"{name}.{member_name} lacks a label"
            entry = danish.get(english, context)
            assert entry is not None and entry.string, f"{name}.{member_name}: no Danish for {english!r}"
            member = code_list[member_name]
            assert (member.value, member.label_en, member.label_da) == (code, english, entry.string)
        assert len({m.label_da for m in code_list}) == len(code_list), f"two {name} codes share a Danish label"
        assert len({m.label_en for m in code_list}) == len(code_list), f"two {name} codes share an English label"


KNOWN_LABELS = [
    (Route.INJECT, "injektion", "injection"),
    (Route.SMOKE, "rygning", "smoking"),
    (Role.STAFF, "medarbejder", "staff"),
    (Role.LEAD, "leder", "room lead"),
    (Sex.F, "kvinde", "female"),
    (Sex.U, "uoplyst", "not stated"),
    (VisitOutcome.TURNED_AWAY, "afvist", "turned away"),
    (Substance.COCAINE, "kokain", "cocaine"),
    (Substance.CRACK, "crack/kogt kokain", "crack cocaine"),
    (EmergencyType.OPIOID, "opioidoverdosis", "opioid overdose"),
    (Language.EN, "engelsk", "English"),
]


def test_known_codes_have_their_danish_and_english_labels() -> None:
    for member, danish, english in KNOWN_LABELS:
        assert (member.label("da"), member.label("en"), member.label()) == (danish, english, danish), member
    assert Route("smoke") is Route.SMOKE
    assert Route.parse("smoke") is Route.SMOKE
    with pytest.raises(ValueError):
        Route.parse("snort-ish")
