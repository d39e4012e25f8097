"""Write publications and read back their latest versions (no Flask)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TypeVar, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from roomlog.models import Publication, PublishedCell
from roomlog.models.bulk import insert_many
from roomlog.reporting.indicators import BY_CODE
from roomlog.reporting.publication.units import Key, Unit, kind_of_label
from roomlog.reporting.summary import rate

T = TypeVar("T")
RATE_CODE = "emergencies.per_1000_consumptions"
#: Stored for every unit open in the period, even when zero: it tells the read side the unit was open.
OPEN_MARK = "opening.days"

#: A stored cell as it is read back: publication id, unit kind and key, indicator, value, hidden, status, exact.
CELL_COLUMNS = (
    PublishedCell.publication_id,
    PublishedCell.unit_kind,
    PublishedCell.unit_key,
    PublishedCell.indicator,
    PublishedCell.value,
    PublishedCell.hidden,
    PublishedCell.status,
    PublishedCell.exact,
)


@dataclass(frozen=True)
class StoredCell:
    """One stored cell as the read side and later protection use it."""

    value: Decimal | None
    hidden: bool
    status: str
    exact: Decimal | None


@dataclass(frozen=True)
class Stored:
    """The latest version of one published period."""

    label: str
    version: int
    revised: bool
    threshold: int
    #: Cells that are not a visible known zero (a missing cell of an open unit is 0).
    cells: Mapping[tuple[Unit, str], StoredCell]
    publication_id: int
    source_mark: str | None = None
    published_at: dt.datetime | None = None

    @cached_property
    def hides(self) -> bool:
        """Whether any cell of this period is hidden."""
        return any(cell.hidden for cell in self.cells.values())


class CellCache:
    """Every cell of publications already read, by publication: safe because a stored version never changes.

    Owned by the app (one per process) and handed to the read side; a new version of a period
    is a new publication, so nothing here is ever stale. Bounded: cleared when full.
    """

    def __init__(self, limit: int = 4000) -> None:
        self.limit = limit
        self._cells: dict[tuple[int, str, int, dt.datetime], Mapping[tuple[Unit, str], StoredCell]] = {}
        self._built: dict[Hashable, object] = {}

    def built(self, parts: Sequence[Stored | None], key: Hashable, build: Callable[[], T]) -> T:
        """What ``build`` makes from the cells of ``parts`` alone (``key``: its other inputs), made once."""
        full = (
            tuple(None if p is None else (p.publication_id, p.label, p.version, p.published_at) for p in parts),
            key,
        )
        if full not in self._built:
            if len(self._built) >= self.limit:
                self._built.clear()
            self._built[full] = build()
        return self._built[full]  # type: ignore[return-value]  # stored by a build() of this T: full holds its key

    def get(self, pub: Publication) -> Mapping[tuple[Unit, str], StoredCell] | None:
        return self._cells.get((pub.id, pub.period, pub.version, pub.published_at))

    def put(self, pub: Publication, cells: Mapping[tuple[Unit, str], StoredCell]) -> None:
        if len(self._cells) >= self.limit:
            self._cells.clear()
        self._cells[(pub.id, pub.period, pub.version, pub.published_at)] = cells


def latest(
    session: Session, labels: Collection[str], codes: Collection[str] | None = None, cache: CellCache | None = None
) -> dict[str, Stored]:
    """The latest version of each published label (unpublished labels are missing).

    With ``cache``, every cell of each publication is read once (whatever ``codes``) and kept.
    """
    if not labels:
        return {}
    top = (
        select(Publication.period, func.max(Publication.version).label("v"))
        .where(Publication.period.in_(tuple(labels)))
        .group_by(Publication.period)
        .subquery()
    )
    pubs = session.scalars(
        select(Publication).join(top, (Publication.period == top.c.period) & (Publication.version == top.c.v))
    ).all()
    if cache is None or codes == ():
        return _with_cells(session, pubs, codes)
    missing = [p for p in pubs if cache.get(p) is None]
    for pub, stored in zip(missing, _with_cells(session, missing, None, by_id=True).values(), strict=True):
        cache.put(pub, stored.cells)
    return {
        p.period: Stored(
            p.period, p.version, p.revised, p.threshold, cache.get(p) or {}, p.id, p.source_mark, p.published_at
        )
        for p in pubs
    }


def version_counts(session: Session, labels: Collection[str]) -> dict[str, int]:
    """How many versions of each label are stored."""
    if not labels:
        return {}
    stmt = select(Publication.period, func.count()).where(Publication.period.in_(tuple(labels)))
    return {label: n for label, n in session.execute(stmt.group_by(Publication.period))}


def versions(session: Session, labels: Collection[str]) -> dict[str, list[Stored]]:
    """Every stored version of each label, oldest first."""
    pubs = session.scalars(
        select(Publication).where(Publication.period.in_(tuple(labels))).order_by(Publication.version)
    ).all()
    loaded = _with_cells(session, pubs, None, by_id=True)
    out: dict[str, list[Stored]] = {}
    for pub in pubs:
        out.setdefault(pub.period, []).append(loaded[str(pub.id)])
    return out


def _with_cells(
    session: Session, pubs: Sequence[Publication], codes: Collection[str] | None, by_id: bool = False
) -> dict[str, Stored]:
    ids = [p.id for p in pubs]
    cells: dict[int, dict[tuple[Unit, str], StoredCell]] = {i: {} for i in ids}
    if ids and (codes is None or len(codes) > 0):
        stmt = select(*CELL_COLUMNS).where(PublishedCell.publication_id.in_(ids))
        if codes is not None and not set(BY_CODE) <= set(codes):
            stmt = stmt.where(PublishedCell.indicator.in_(tuple(codes)))
        for pid, kind, key, code, value, hidden, status, exact in session.execute(stmt):
            cells[pid][((kind, key), code)] = StoredCell(
                None if value is None else Decimal(value),
                bool(hidden),
                status,
                None if exact is None else Decimal(exact),
            )
    return {
        (str(p.id) if by_id else p.period): Stored(
            p.period, p.version, p.revised, p.threshold, cells[p.id], p.id, p.source_mark, p.published_at
        )
        for p in pubs
    }


def write(
    session: Session,
    label: str,
    threshold: int,
    exact: Mapping[Key, int | None],
    hidden: Collection[Key],
    *,
    mark: str | None = None,
    note: str | None = None,
) -> Publication:
    """Store a new version of ``label``: every cell of ``exact`` (zeros implicit) and the rates."""
    version = (session.scalar(select(func.max(Publication.version)).where(Publication.period == label)) or 0) + 1
    pub = Publication(
        period=label,
        kind=kind_of_label(label),
        version=version,
        threshold=threshold,
        revised=version > 1,
        revision_note=note if version > 1 else None,
        source_mark=mark,
    )
    session.add(pub)
    session.flush()
    rows = []
    units = {key[1] for key in exact if key[0] == label}
    for (lab, unit, code), value in exact.items():
        if lab != label:
            continue
        is_hidden = (lab, unit, code) in hidden
        if value == 0 and not is_hidden and code != OPEN_MARK:
            continue
        rows.append(_row(pub.id, unit, code, value, is_hidden))
    for unit in units:
        num, den = exact.get((label, unit, "emergencies.total")), exact.get((label, unit, "consumptions.total"))
        is_hidden = (label, unit, "emergencies.total") in hidden or (label, unit, "consumptions.total") in hidden
        ratio = rate(num, den)
        rows.append(
            {
                **_row(pub.id, unit, RATE_CODE, None, is_hidden),
                "value": None if is_hidden else ratio,
                "exact": ratio,
                "status": "unknown" if num is None or den is None else "known",
            }
        )
    if rows:
        # What a Core executemany of the table stores (the ORM's bulk path builds every row again: a third of the
        # time), by COPY on PostgreSQL.
        insert_many(session, cast(Table, PublishedCell.__table__), rows)
    session.flush()
    return pub


def _row(pid: int, unit: Unit, code: str, value: int | None, hidden: bool) -> dict[str, object]:
    return {
        "publication_id": pid,
        "unit_kind": unit[0],
        "unit_key": unit[1],
        "indicator": code,
        "value": None if hidden or value is None else Decimal(value),
        "hidden": hidden,
        "status": "unknown" if value is None else "known",
        "exact": None if value is None else Decimal(value),
    }


def exact_counts(stored: Stored, keys: Iterable[tuple[Unit, str]]) -> dict[Key, int | None]:
    """The exact counts of a stored period for the given unit × code keys (missing = 0)."""
    out: dict[Key, int | None] = {}
    for unit, code in keys:
        cell = stored.cells.get((unit, code))
        out[(stored.label, unit, code)] = 0 if cell is None else (None if cell.exact is None else int(cell.exact))
    return out
