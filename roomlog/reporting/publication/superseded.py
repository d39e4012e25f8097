"""What readers of a revised period still know: its superseded versions, as fixed cells and relations. Pure.

A period published again keeps its earlier versions in every reader's hands. For the audit
each superseded version is a copy of the period under its own label (``2022-03@1``): its
visible cells are constants, its hidden cells variables, it has the relations of its own
period (rooms → municipality → nation, breakdowns), a superseded quarter or year is the sum
of the versions of its parts that were current when it was published, and every cell that
did not change equals the current one (a reader may know which did not change: assumed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from roomlog.reporting.publication.exact import COUNTS, units_of
from roomlog.reporting.publication.store import Stored, exact_counts
from roomlog.reporting.publication.units import Key, Relation, RoomInfo, parts_of_label, relations


@dataclass
class Superseded:
    """The superseded versions as the audit sees them."""

    exact: dict[Key, int] = field(default_factory=dict)
    hidden: dict[Key, bool] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)


def shadow(label: str, version: int) -> str:
    """The audit's label of one superseded version."""
    return f"{label}@{version}"


def superseded(
    versions: Mapping[str, Sequence[Stored]],
    current: Mapping[str, int],
    rooms: Sequence[RoomInfo],
    exact: Mapping[Key, int],
) -> Superseded:
    """Cells and relations of every version older than ``current`` (label → the version that stays, 0: a new one).

    ``exact`` holds the current cells (new and fixed) the superseded ones are linked to.
    """
    out = Superseded()
    old = {label: [v for v in found if v.version != current.get(label, 0)] for label, found in versions.items()}
    own: list[tuple[Stored, str, set[Key], set[Key]]] = []
    for label, stale in old.items():
        keys = [(unit, code) for unit, _members in units_of(rooms, label) for code in COUNTS]
        for stored in stale:
            name = shadow(label, stored.version)
            counts = exact_counts(stored, keys)
            cells = {k: v for k, v in counts.items() if v is not None}
            unknown = {k for k, v in counts.items() if v is None}  # never read as zero in its relations
            for (_label, unit, code), value in cells.items():
                key = (name, unit, code)
                out.exact[key] = value
                cell = stored.cells.get((unit, code))
                out.hidden[key] = bool(cell and cell.hidden)
                if exact.get((label, unit, code)) == value:
                    out.relations.append(Relation((((label, unit, code), 1), (key, -1)), True))
            own.append((stored, name, set(cells), unknown))
    for stored, name, own_cells, unknown in own:
        rels = relations([stored.label], rooms, own_cells, unknown)
        out.relations += [_renamed(r, stored.label, name) for r in rels]
        out.relations += _time(stored, name, versions, current, rooms, out.exact, exact)
    return out


def _renamed(relation: Relation, label: str, name: str) -> Relation:
    terms = tuple(((name if k[0] == label else k[0], k[1], k[2]), c) for k, c in relation.terms)
    return Relation(terms, relation.exact)


def _time(
    stored: Stored,
    name: str,
    versions: Mapping[str, Sequence[Stored]],
    current: Mapping[str, int],
    rooms: Sequence[RoomInfo],
    old_exact: Mapping[Key, int],
    exact: Mapping[Key, int],
) -> list[Relation]:
    """A superseded quarter or year = the sum of its parts as they were when it was published."""
    parts = parts_of_label(stored.label)
    if not parts:
        return []
    names = {}
    for part in parts:
        found = [v for v in versions.get(part, []) if _before(v, stored)]
        if not found:
            names[part] = part
            continue
        pick = max(found, key=lambda v: v.version)
        names[part] = part if pick.version == current.get(part, 0) else shadow(part, pick.version)
    has = set(old_exact) | set(exact)
    rels = relations(
        [stored.label, *parts],
        rooms,
        {(stored.label, k[1], k[2]) for k in old_exact if k[0] == name}
        | {(p, k[1], k[2]) for p in parts for k in has if k[0] == names[p]},
    )
    out = []
    for relation in rels:
        labels = {k[0] for k, _c in relation.terms}
        if stored.label in labels and labels & set(parts):
            terms = tuple(((name if k[0] == stored.label else names[k[0]], k[1], k[2]), c) for k, c in relation.terms)
            out.append(Relation(terms, relation.exact))
    return out


def _before(part: Stored, whole: Stored) -> bool:
    """Whether ``part`` was published no later than ``whole`` (ids grow; one run writes months first)."""
    return part.publication_id <= whole.publication_id
