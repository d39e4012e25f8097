"""Units, period labels and the relations between published cells. Pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from roomlog.models.codes import REFERRAL_KINDS
from roomlog.reporting.indicators import BOUNDS, INDICATORS, Kind
from roomlog.reporting.windows import Window, month_label, month_window, quarter_label, quarter_window, year_window

#: ``("room", "12")`` · ``("municipality", "101")`` · ``("national", "")``: always strings, as stored.
Unit = tuple[str, str]
NATIONAL: Unit = ("national", "")
#: ``(period label, unit, indicator)``.
Key = tuple[str, Unit, str]
RATE_CODE = "emergencies.per_1000_consumptions"
#: Not a count of persons or events: never hidden for being small.
EXEMPT_CODES = frozenset({"opening.days"})
#: Municipal and national totals of these stay visible whenever they are at least k.
HEADLINE_TOTALS = frozenset(
    {"visits.total", "consumptions.total", "emergencies.total", "emergencies.acute_treatments", "referrals.total"}
)
#: Breakdowns whose code list splits the parent exactly (every record has exactly one code).
PARTITIONS = ("emergencies.type", "referrals.target", "referrals.kind", "visitors.sex", "visitors.age")
#: ``referrals.kind.<kind>`` = the sum of its ``referrals.target.<target>`` (a reader knows the grouping).
KIND_TARGETS = {
    f"referrals.kind.{kind.value}": tuple(f"referrals.target.{t.value}" for t, k in REFERRAL_KINDS.items() if k == kind)
    for kind in dict.fromkeys(REFERRAL_KINDS.values())
}
COUNT_CODES = tuple(i.code for i in INDICATORS if i.kind != Kind.RATE)
ADDITIVE = frozenset(i.code for i in INDICATORS if i.additive)
DISTINCT = frozenset(i.code for i in INDICATORS if i.kind == Kind.DISTINCT)


@dataclass(frozen=True)
class RoomInfo:
    """A room as publication needs it: its municipality and the first month it is open."""

    id: int
    name: str
    municipality_code: str
    municipality_name: str
    #: The first month the room is open (its opening, else its first data); ``None``: never.
    first_month: dt.date | None

    @property
    def unit(self) -> Unit:
        return ("room", str(self.id))

    def open_in(self, first: dt.date, last: dt.date) -> bool:
        """Whether the room is open in any month from ``first`` to ``last``."""
        return self.first_month is not None and self.first_month <= last


def municipalities(rooms: Sequence[RoomInfo]) -> dict[str, list[RoomInfo]]:
    """Rooms by municipality code, in the given order."""
    out: dict[str, list[RoomInfo]] = {}
    for room in rooms:
        out.setdefault(room.municipality_code, []).append(room)
    return out


def kind_of_label(label: str) -> str:
    """``month``, ``quarter`` or ``year``."""
    return "quarter" if "-Q" in label else ("month" if "-" in label else "year")


def window_of(label: str) -> Window:
    """The window of a calendar label."""
    kind = kind_of_label(label)
    if kind == "year":
        return year_window(int(label))
    if kind == "quarter":
        return quarter_window(dt.date(int(label[:4]), 3 * int(label[-1]) - 2, 1))
    return month_window(dt.date(int(label[:4]), int(label[5:7]), 1))


def year_labels(year: int) -> tuple[list[str], list[str], str]:
    """The months, quarters and the year label of a calendar year."""
    months = [month_label(dt.date(year, m, 1)) for m in range(1, 13)]
    quarters = [quarter_label(dt.date(year, 3 * q - 2, 1)) for q in range(1, 5)]
    return months, quarters, str(year)


def parts_of_label(label: str) -> list[str]:
    """The calendar labels a quarter or year is the sum of (months; quarters)."""
    kind = kind_of_label(label)
    if kind == "quarter":
        first = window_of(label).period.first
        return [month_label(dt.date(first.year, first.month + n, 1)) for n in range(3)]
    if kind == "year":
        return year_labels(int(label))[1]
    return []


@dataclass(frozen=True)
class Relation:
    """``Σ coef·cell (= or ≤) 0`` between published cells; ``exact`` says whether it is an equality."""

    terms: tuple[tuple[Key, int], ...]
    exact: bool


def relations_by_key(relations: Iterable[Relation]) -> dict[Key, list[Relation]]:
    """Every relation a cell is in, by cell (the audit's and protection's index)."""
    out: dict[Key, list[Relation]] = {}
    for relation in relations:
        for key, _coef in relation.terms:
            out.setdefault(key, []).append(relation)
    return out


def _sum(total: Key, parts: Iterable[Key], exact: bool = True) -> Relation:
    """``Σ parts = total`` (or ``≤ total``)."""
    return Relation(((total, -1), *((p, 1) for p in parts)), exact)


def _le(small: Key, big: Key) -> Relation:
    return Relation(((small, 1), (big, -1)), False)


def relations(
    labels: Sequence[str], rooms: Sequence[RoomInfo], has: set[Key], unknown: Collection[Key] = frozenset()
) -> list[Relation]:
    """Every relation a reader can use between the cells ``has`` of the periods ``labels``.

    ``unknown`` cells are not published values (a unit not open has no cell at all): a whole
    with an unknown part gives only "each known part ≤ the whole", never an equality that would
    read the unknown part as zero.

    Additive indicators: rooms → municipality → nation, months → quarter → year (equal).
    Distinct counts: each part ≤ the whole ≤ the sum of the parts. Breakdowns: equal where
    the code list partitions the parent, else each part ≤ the parent (routes: their sum too).
    """
    out: list[Relation] = []
    groups = municipalities(rooms)
    label_set = set(labels)

    def add_whole(total: Key, parts: list[Key], code: str) -> None:
        some_unknown = any(p in unknown for p in parts)
        parts = [p for p in parts if p in has]
        if total not in has or not parts:
            return
        if some_unknown:
            # An unknown part is not a zero: the known parts are only bounded by the whole.
            out.extend(_le(p, total) for p in parts)
        elif code in DISTINCT:
            out.extend(_le(p, total) for p in parts)
            if len(parts) > 1:
                out.append(Relation(((total, 1), *((p, -1) for p in parts)), False))
            else:
                out.append(_sum(total, parts))
        else:
            out.append(_sum(total, parts))

    for label in labels:
        for code in COUNT_CODES:
            units_muni = []
            for muni, members in groups.items():
                m_unit: Unit = ("municipality", muni)
                add_whole((label, m_unit, code), [(label, r.unit, code) for r in members], code)
                units_muni.append((label, m_unit, code))
            add_whole((label, NATIONAL, code), units_muni, code)
        for label_parts in [parts_of_label(label)]:
            if label_parts and all(p in label_set for p in label_parts):
                for unit in _all_units(rooms):
                    for code in COUNT_CODES:
                        add_whole((label, unit, code), [(p, unit, code) for p in label_parts], code)
        for unit in _all_units(rooms):
            out.extend(_breakdowns(label, unit, has))
    return out


def _all_units(rooms: Sequence[RoomInfo]) -> list[Unit]:
    return [r.unit for r in rooms] + [("municipality", m) for m in municipalities(rooms)] + [NATIONAL]


def _families() -> dict[tuple[str, str], list[str]]:
    """``(parent, code prefix) → child codes`` of every breakdown a reader knows."""
    families: dict[tuple[str, str], list[str]] = {}
    for indicator in INDICATORS:
        if indicator.parent:
            families.setdefault((indicator.parent, indicator.code.rsplit(".", 1)[0]), []).append(indicator.code)
    families[("emergencies.total", "emergencies.acute")] = ["emergencies.acute_treatments"]
    families[("consumptions.total", "consumptions.assisted")] = ["consumptions.assisted"]
    families[("visitors.unique", "visitors.new")] = ["visitors.new"]
    families[("visits.total", "visits.anonymous")] = ["visits.anonymous"]
    return families


_FAMILIES = _families()


def _breakdowns(label: str, unit: Unit, has: set[Key]) -> list[Relation]:
    out: list[Relation] = []
    for (parent, prefix), children in _FAMILIES.items():
        whole = (label, unit, parent)
        if whole not in has:
            continue
        parts = [(label, unit, c) for c in children if (label, unit, c) in has]
        if not parts:
            continue
        if prefix in PARTITIONS and len(parts) == len(children):
            out.append(_sum(whole, parts))
            continue
        out.extend(_le(p, whole) for p in parts)
        if prefix in ("consumptions.route", "visits.turned_away.reason"):
            out.append(_sum(whole, parts, exact=False))
    for kind, targets in KIND_TARGETS.items():
        cells = [(label, unit, t) for t in targets]
        if (label, unit, kind) in has and all(c in has for c in cells):
            out.append(_sum((label, unit, kind), cells))
    for small, big in BOUNDS:
        if (small, big) in _PARENT_PAIRS:
            continue
        if (label, unit, small) in has and (label, unit, big) in has:
            out.append(_le((label, unit, small), (label, unit, big)))
    return out


#: Bounds already given by a breakdown family above.
_PARENT_PAIRS = frozenset(
    {
        ("visits.anonymous", "visits.total"),
        ("consumptions.assisted", "consumptions.total"),
        ("emergencies.acute_treatments", "emergencies.total"),
        ("visitors.new", "visitors.unique"),
    }
)
