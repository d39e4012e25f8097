"""Mergeable sets of visitor ids per room-month: distinct counts by union, never by rescanning visits.

Each room-month keeps, as compressed bitmaps (roaring, via ``pyroaring``), the ids of the
visitors with an admitted visit in the month, the ids whose first admitted visit in that room
falls in the month, and the same ids split by sex and birth year. Unique, new, sex and age
counts of any set of rooms over any months are then unions of these sets. The sets are stored
with the month's snapshot (``RoomVisitorSet``) and outlive a retention purge, so yearly
counts stay right once the visits are gone. Pure: no database, no Flask.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from pyroaring import BitMap, FrozenBitMap

from roomlog.reporting.indicators import BY_CODE, Kind
from roomlog.reporting.periods import Period
from roomlog.reporting.rows import VisitorRow
from roomlog.reporting.summary import age_band, sex_code

RoomMonth = tuple[int, dt.date]
EMPTY = FrozenBitMap()
#: First byte of a serialized group container; bump it if the layout ever changes.
FORMAT = 1
_UNKNOWN_YEAR = "u"


@dataclass(frozen=True)
class MonthSets:
    """The visitor ids of one room-month and the groups the distinct indicators count."""

    #: Visitors with at least one admitted visit in the month.
    visitors: FrozenBitMap = EMPTY
    #: Visitors whose first admitted visit in this room (ever) is in this month.
    first_seen: FrozenBitMap = EMPTY
    #: Sex code → ids (every visitor is in exactly one).
    sex: Mapping[str, FrozenBitMap] = field(default_factory=dict)
    #: Birth year (``None`` when unknown) → ids.
    born: Mapping[int | None, FrozenBitMap] = field(default_factory=dict)


def build(visitors: Iterable[VisitorRow], first_days: Mapping[tuple[int, int], dt.date]) -> dict[RoomMonth, MonthSets]:
    """Build the sets of every room-month in ``visitors``.

    ``first_days[(room_id, visitor_id)]`` is the service day of the visitor's first admitted
    visit in that room; a visitor without an entry is never counted as new.
    """
    ids: dict[RoomMonth, BitMap] = defaultdict(BitMap)
    first: dict[RoomMonth, BitMap] = defaultdict(BitMap)
    sex: dict[RoomMonth, dict[str, BitMap]] = defaultdict(lambda: defaultdict(BitMap))
    born: dict[RoomMonth, dict[int | None, BitMap]] = defaultdict(lambda: defaultdict(BitMap))
    for row in visitors:
        key = (row.room_id, row.month)
        ids[key].add(row.visitor_id)
        sex[key][sex_code(row.sex)].add(row.visitor_id)
        born[key][row.birth_year].add(row.visitor_id)
        day = first_days.get((row.room_id, row.visitor_id))
        if day is not None and (day.year, day.month) == (row.month.year, row.month.month):
            first[key].add(row.visitor_id)
    return {
        key: MonthSets(
            FrozenBitMap(ids[key]),
            FrozenBitMap(first.get(key, EMPTY)),
            {code: FrozenBitMap(b) for code, b in sex[key].items()},
            {year: FrozenBitMap(b) for year, b in born[key].items()},
        )
        for key in ids
    }


def _union(bitmaps: Iterable[FrozenBitMap]) -> FrozenBitMap:
    parts = list(bitmaps)
    return FrozenBitMap.union(*parts) if parts else EMPTY


def distinct_counts(
    sets: Mapping[RoomMonth, MonthSets],
    room_ids: Collection[int],
    period: Period,
    earlier: FrozenBitMap = EMPTY,
) -> dict[str, int]:
    """Return the distinct-visitor indicators of ``room_ids`` over ``period`` from the month sets.

    ``earlier`` holds the ids seen in any of the rooms before the period. It matters only for
    ``visitors.new`` over several rooms (a visitor new in one room may be known in another);
    for one room the month sets already say who was new.
    """
    parts = [sets[(r, m)] for r in sorted(set(room_ids)) for m in period.months if (r, m) in sets]
    out = {code: 0 for code in BY_CODE if BY_CODE[code].kind == Kind.DISTINCT}
    out["visitors.unique"] = len(_union(p.visitors for p in parts))
    out["visitors.new"] = len(_union(p.first_seen for p in parts) - earlier)
    for code in {c for p in parts for c in p.sex}:
        out[f"visitors.sex.{code}"] += len(_union(p.sex[code] for p in parts if code in p.sex))
    for year in {y for p in parts for y in p.born}:
        band = age_band(year, period.last.year)
        out[f"visitors.age.{band}"] += len(_union(p.born[year] for p in parts if year in p.born))
    return out


def serialize_groups(month_sets: MonthSets) -> bytes:
    """Pack the sex and birth-year groups into one blob: a format byte, then (key, bitmap) pairs."""
    named = [(f"sex.{code}", b) for code, b in sorted(month_sets.sex.items())]
    named += [
        (f"born.{_UNKNOWN_YEAR if year is None else year}", b)
        for year, b in sorted(month_sets.born.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ]
    chunks = [bytes([FORMAT])]
    for key, bitmap in named:
        raw_key, raw = key.encode("ascii"), bitmap.serialize()
        chunks.append(struct.pack(">HI", len(raw_key), len(raw)) + raw_key + raw)
    return b"".join(chunks)


def deserialize(visitors: bytes, first_seen: bytes, groups: bytes) -> MonthSets:
    """Rebuild a room-month's sets from the three stored blobs (``ValueError`` if damaged)."""
    if not groups or groups[0] != FORMAT:
        raise ValueError("unknown visitor-set format")
    sex: dict[str, FrozenBitMap] = {}
    born: dict[int | None, FrozenBitMap] = {}
    try:
        for key, bitmap in _groups(groups):
            kind, _, value = key.partition(".")
            if kind == "sex":
                sex[value] = bitmap
            else:
                born[None if value == _UNKNOWN_YEAR else int(value)] = bitmap
        return MonthSets(FrozenBitMap.deserialize(visitors), FrozenBitMap.deserialize(first_seen), sex, born)
    except (struct.error, IndexError, UnicodeDecodeError) as error:
        raise ValueError("damaged visitor set") from error


def _groups(blob: bytes) -> Iterable[tuple[str, FrozenBitMap]]:
    offset = 1
    while offset < len(blob):
        key_length, length = struct.unpack_from(">HI", blob, offset)
        offset += 6
        if offset + key_length + length > len(blob):
            raise ValueError("damaged visitor set")
        key = blob[offset : offset + key_length].decode("ascii")
        offset += key_length
        yield key, FrozenBitMap.deserialize(blob[offset : offset + length])
        offset += length


def serialize(month_sets: MonthSets) -> tuple[bytes, bytes, bytes]:
    """Return the three blobs a room-month stores: visitors, first seen, groups."""
    return month_sets.visitors.serialize(), month_sets.first_seen.serialize(), serialize_groups(month_sets)
