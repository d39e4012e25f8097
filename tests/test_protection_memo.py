"""The memo of protection decisions (roomlog/reporting/publication/memo.py): a hit is the decision protect_year
makes, any change to its inputs or its code is a miss, and a damaged memo is a miss, never an error."""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from roomlog.auth.national_scope import national_scope
from roomlog.models import Publication, PublishedCell
from roomlog.reporting.publication import memo as memo_module
from roomlog.reporting.publication import protect as protect_module
from roomlog.reporting.publication import publish_due
from roomlog.reporting.publication.memo import FileMemo, decision_key, plausible, protect
from roomlog.reporting.publication.protect import protect_year
from roomlog.reporting.publication.store import CELL_COLUMNS
from roomlog.reporting.publication.units import NATIONAL, Key, Relation, RoomInfo, relations
from tests.support.apps import dispose, make_test_config
from tests.support.factories import Factory
from tests.support.worlds import build_world

K = 5
CODE = "emergencies.total"
Inputs = tuple[dict[Key, int], list[Relation], int, dict[Key, bool], set[Key]]


def _inputs() -> Inputs:
    """Three rooms in two municipalities, a quarter of months: small counts, complements and a fixed month."""
    rooms = [RoomInfo(n, f"R{n}", m, m, dt.date(2020, 1, 1)) for n, m in ((1, "101"), (2, "101"), (3, "461"))]
    months = ["2022-01", "2022-02", "2022-03"]
    by_room = {"1": [30, 2, 14], "2": [20, 25, 9], "3": [3, 40, 12]}
    exact: dict[Key, int] = {}
    for room, values in by_room.items():
        for label, value in zip(months, values, strict=True):
            exact[(label, ("room", room), CODE)] = value
        exact[("2022-Q1", ("room", room), CODE)] = sum(values)
    for label in [*months, "2022-Q1"]:
        kbh = exact[(label, ("room", "1"), CODE)] + exact[(label, ("room", "2"), CODE)]
        exact[(label, ("municipality", "101"), CODE)] = kbh
        exact[(label, ("municipality", "461"), CODE)] = exact[(label, ("room", "3"), CODE)]
        exact[(label, NATIONAL, CODE)] = kbh + exact[(label, ("room", "3"), CODE)]
    fixed = {k: k[1] == ("room", "1") for k in exact if k[0] == "2022-01"}  # January published before
    return exact, relations([*months, "2022-Q1"], rooms, set(exact)), K, fixed, set()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the real protections (misses) while the test runs."""
    made: list[int] = []

    def counted(*args: object, **kwargs: object) -> set[Key]:
        made.append(1)
        return protect_year(*args, **kwargs)  # type: ignore[arg-type]  # the same arguments, passed on

    monkeypatch.setattr(protect_module, "protect_year", counted)
    return made


def test_a_hit_is_the_decision_protect_year_makes(tmp_path: Path, calls: list[int]) -> None:
    memo = FileMemo(tmp_path / "memo")
    expected = protect_year(*_inputs())
    assert expected and plausible(expected, *_inputs()[:1], K, _inputs()[3])
    assert protect(memo, *_inputs()) == expected  # a miss: computed and kept
    assert protect(memo, *_inputs()) == expected  # a hit: read back
    assert protect(FileMemo(tmp_path / "memo"), *_inputs()) == expected  # … by another memo (process) too
    assert len(calls) == 1
    assert (memo.hits, memo.misses) == (1, 1)
    assert [p.name for p in (tmp_path / "memo").iterdir()] == [f"{decision_key(*_inputs())}.json"]  # no temp file


def _changed() -> dict[str, Callable[[Inputs], Inputs]]:
    """One change to each input: a count, a relation, its order, the threshold, a fixed cell, a forced cell."""

    def count(i: Inputs) -> Inputs:
        exact = dict(i[0])
        exact[("2022-03", ("room", "3"), CODE)] += 1
        return exact, *i[1:]  # type: ignore[return-value]  # the same tuple with one part replaced

    def relation(i: Inputs) -> Inputs:
        first = i[1][0]
        return i[0], [Relation(first.terms, not first.exact), *i[1][1:]], *i[2:]  # type: ignore[return-value]

    def order(i: Inputs) -> Inputs:
        return i[0], list(reversed(i[1])), *i[2:]  # type: ignore[return-value]

    def count_order(i: Inputs) -> Inputs:
        return dict(reversed(i[0].items())), *i[1:]  # type: ignore[return-value]

    def threshold(i: Inputs) -> Inputs:
        return i[0], i[1], i[2] + 1, i[3], i[4]

    def fixed(i: Inputs) -> Inputs:
        return i[0], i[1], i[2], {**i[3], ("2022-01", ("room", "2"), CODE): True}, i[4]

    def forced(i: Inputs) -> Inputs:
        return i[0], i[1], i[2], i[3], {("2022-03", NATIONAL, CODE)}

    return {f.__name__: f for f in (count, relation, order, count_order, threshold, fixed, forced)}


@pytest.mark.parametrize("change", sorted(_changed()))
def test_any_change_to_any_input_is_a_miss(change: str, tmp_path: Path, calls: list[int]) -> None:
    memo = FileMemo(tmp_path)
    protect(memo, *_inputs())
    other = _changed()[change](_inputs())
    assert decision_key(*other) != decision_key(*_inputs())
    assert protect(memo, *other) == protect_year(*other)
    assert memo.misses == 2 and len(calls) == 2


@pytest.mark.parametrize("part", ["MEMO_VERSION", "code", "highs", "runtime"])
def test_another_version_of_the_protection_code_is_a_miss(
    part: str, tmp_path: Path, calls: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    memo = FileMemo(tmp_path)
    before = decision_key(*_inputs())
    protect(memo, *_inputs())
    if part == "MEMO_VERSION":
        monkeypatch.setattr(protect_module, "MEMO_VERSION", protect_module.MEMO_VERSION + 1)
    elif part == "code":
        monkeypatch.setattr(memo_module, "code_digest", lambda: "0" * 64)
    elif part == "highs":
        monkeypatch.setattr(memo_module, "_highs_version", lambda: "0.0.0")
    else:
        monkeypatch.setattr(memo_module, "_runtime", lambda: "numpy 0.0.0, cpython 3.0")
    assert decision_key(*_inputs()) != before
    protect(memo, *_inputs())
    assert memo.misses == 2 and len(calls) == 2


def test_the_code_digest_reads_every_module_protect_year_runs() -> None:
    modules = memo_module._imported_modules(protect_module.__name__)
    assert {
        "roomlog.reporting.publication.protect",
        "roomlog.reporting.publication.audit",
        "roomlog.reporting.publication.units",
        "roomlog.reporting.suppression",
        "roomlog.reporting.indicators",
    } <= modules
    assert "roomlog.reporting.publication.memo" not in modules
    assert len(memo_module.code_digest()) == 64


def _edited(source: str, edit: str) -> str:
    """protect.py's ``source`` with one kind of edit: the docstrings reworded, comments and blank lines added, or
    the release pass's solve budget changed."""
    if edit == "docstrings":
        reworded = source.replace('"""', '"""Reworded. ', 1)  # the module's
        head, tail = reworded.split("def protect_year(", 1)
        return head + "def protect_year(" + tail.replace('"""', '"""Reworded too. ', 1)
    if edit == "comments":
        return source.replace("\nRELEASE_SOLVES = ", "\n# a comment\n\n\nRELEASE_SOLVES = ", 1)
    assert "\nRELEASE_SOLVES = 4000\n" in source
    return source.replace("\nRELEASE_SOLVES = 4000\n", "\nRELEASE_SOLVES = 4001\n", 1)


@pytest.mark.parametrize(("edit", "hits"), [("docstrings", True), ("comments", True), ("code", False)])
def test_a_docstring_or_comment_edit_keeps_the_key_and_a_code_change_misses(
    edit: str, hits: bool, tmp_path: Path, calls: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    memo = FileMemo(tmp_path / "memo")
    before = decision_key(*_inputs())
    protect(memo, *_inputs())
    real_source = memo_module._source
    original = real_source(protect_module.__name__)
    copy = tmp_path / "protect.py"
    copy.write_text(_edited(original.read_text(encoding="utf-8"), edit), encoding="utf-8")
    assert copy.read_bytes() != original.read_bytes()

    def source(name: str) -> Path:
        return copy if name == protect_module.__name__ else real_source(name)

    monkeypatch.setattr(memo_module, "_source", source)
    monkeypatch.setattr(memo_module, "code_digest", functools.cache(memo_module.code_digest.__wrapped__))
    assert (decision_key(*_inputs()) == before) is hits
    assert protect(memo, *_inputs()) == protect_year(*_inputs())
    assert (memo.hits, memo.misses, len(calls)) == ((1, 1, 1) if hits else (0, 2, 2))


def _damages(key: str, good: bytes) -> dict[str, bytes]:
    record = json.loads(good)
    shown = dict(record, hidden=record["hidden"][1:])  # a cell less, the checksum of the whole
    small = [c for c in record["hidden"] if c[:3] == ["2022-02", "room", "1"]]
    assert small, "the small count of the inputs is in the decision"
    consistent = [c for c in record["hidden"] if c not in small]  # …and one with its own checksum recomputed
    resealed = dict(record, hidden=consistent, check=memo_module._check(key, consistent))
    return {
        "empty": b"",
        "truncated": good[: len(good) // 2],
        "garbage": b"\x00\xff not json",
        "not an object": b"[1, 2, 3]",
        "another key": json.dumps(dict(record, key="0" * 64)).encode(),
        "a cell less": json.dumps(shown).encode(),
        "cells not strings": json.dumps(dict(record, hidden=[[1, 2, 3, 4]])).encode(),
        "a small count shown": json.dumps(resealed).encode(),
    }


@pytest.mark.parametrize(
    "damage",
    [
        "empty",
        "truncated",
        "garbage",
        "not an object",
        "another key",
        "a cell less",
        "cells not strings",
        "a small count shown",
    ],
)
def test_a_damaged_memo_file_is_a_miss_and_is_written_again(damage: str, tmp_path: Path, calls: list[int]) -> None:
    memo = FileMemo(tmp_path)
    expected = protect(memo, *_inputs())
    key = decision_key(*_inputs())
    path = tmp_path / f"{key}.json"
    good = path.read_bytes()
    path.write_bytes(_damages(key, good)[damage])
    assert protect(memo, *_inputs()) == expected
    assert len(calls) == 2  # computed again, not read
    assert path.read_bytes() == good  # and kept again, whole
    assert protect(memo, *_inputs()) == expected and len(calls) == 2


def test_a_memo_that_cannot_be_written_still_protects(tmp_path: Path, calls: list[int]) -> None:
    (tmp_path / "file").write_text("not a directory")
    memo = FileMemo(tmp_path / "file" / "memo")
    assert protect(memo, *_inputs()) == protect_year(*_inputs())
    assert memo.get(decision_key(*_inputs())) is None


def test_writers_of_the_same_key_never_show_a_reader_half_a_decision(tmp_path: Path) -> None:
    """Two writers (as two test processes building demos) and a reader: the reader sees nothing or all."""
    hidden = protect_year(*_inputs())
    key = decision_key(*_inputs())
    seen: list[set[Key] | None] = []

    def write() -> None:
        for _ in range(40):
            FileMemo(tmp_path).put(key, hidden)

    writers = [threading.Thread(target=write) for _ in range(2)]
    for thread in writers:
        thread.start()
    reader = FileMemo(tmp_path)
    while any(thread.is_alive() for thread in writers):
        seen.append(reader.get(key))
    for thread in writers:
        thread.join()
    assert all(s is None or s == hidden for s in seen)
    assert reader.get(key) == hidden
    assert [p.name for p in tmp_path.iterdir()] == [f"{key}.json"]


def _cells(session: Session) -> list[tuple[object, ...]]:
    rows = session.execute(
        select(Publication.period, Publication.version, *CELL_COLUMNS[1:]).join(  # unit, code, value, hidden …
            Publication, PublishedCell.publication_id == Publication.id
        )
    )
    return sorted(tuple(r) for r in rows)


def test_the_published_cells_are_the_same_with_and_without_the_memo(
    make: Factory, dbs: Session, tmp_path: Path
) -> None:
    """The world's years to 2021 published with a cold memo (every year protected: what no memo gives) and again, from
    nothing stored, with the memo warm (every year read from it)."""
    build_world(make, dbs, publish_now=False)
    memo = FileMemo(tmp_path)
    found, counts = [], []
    for _ in range(2):
        dbs.execute(delete(PublishedCell))
        dbs.execute(delete(Publication))
        periods = publish_due(
            dbs, dt.date(2022, 1, 15), threshold=K, lock_after_days=15, national_scope=national_scope, memo=memo
        ).periods
        assert periods
        found.append(_cells(dbs))
        counts.append((memo.hits, memo.misses))
    assert found[0] == found[1]
    assert sum(1 for row in found[0] if row[6]) > 0  # something is hidden
    (cold_hits, cold_misses), (warm_hits, warm_misses) = counts
    assert cold_misses >= 1  # 2021 (the years without figures before it are one decision, read again)
    assert warm_misses == cold_misses and warm_hits == 2 * cold_hits + cold_misses  # the second time: hits only


def test_the_app_keeps_its_memo_where_configured(app: Flask, tmp_path: Path) -> None:
    from roomlog import create_app
    from roomlog.extensions import publishing

    with app.app_context():
        assert publishing().memo is None  # the default: no memo, every year protected afresh
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    other = create_app(make_test_config(tmp_path, url, PROTECTION_MEMO_DIR=str(tmp_path / "memo")))
    with other.app_context():
        memo = publishing().memo
        assert isinstance(memo, FileMemo) and memo.directory == tmp_path / "memo"
        assert publishing().memo is memo  # one per app
    dispose(other)


def test_a_periods_counts_come_in_the_same_order_in_every_process() -> None:
    """The memo's key follows the order of the counts: it must not follow a set's (a per-process hash order)."""
    from roomlog.reporting.publication.exact import COUNTS, period_values
    from roomlog.reporting.publication.units import DISTINCT

    room = RoomInfo(1, "R1", "101", "101", dt.date(2020, 1, 1))
    month = {code: 3 for code in COUNTS}
    out = period_values("2022-01", [room], {(1, dt.date(2022, 1, 1)): month}, set(), lambda ids, p: {})
    codes = [code for _label, unit, code in out if unit == room.unit]
    assert codes == [c for c in COUNTS if c not in DISTINCT] + [c for c in COUNTS if c in DISTINCT]
