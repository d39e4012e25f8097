"""Decide which cells of a calendar year to hide, with every earlier decision fixed. Pure.

Why written here: the libraries we looked at either only apply a threshold (ACRO) or
protect one table at a time from microdata (sdcMicro, τ-ARGUS, with a commercial or
external solver); none protects linked tables (rooms → municipalities → nation, months →
quarters → year, breakdowns) incrementally with cells published earlier as fixed inputs.
So the in-house heuristic of :mod:`roomlog.reporting.suppression` picks complements
quickly (siblings before totals, months before quarters before years, headline totals
last), and a real LP solver (HiGHS, :mod:`.audit`) is the gate: it computes the range of
every hidden cell from everything published and hides more until no range is narrower
than k.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import cast

from roomlog.reporting.indicators import BY_CODE
from roomlog.reporting.publication.audit import TOLERANCE, Proofs, Showing, freeing, narrow
from roomlog.reporting.publication.units import (
    EXEMPT_CODES,
    HEADLINE_TOTALS,
    NATIONAL,
    Key,
    Relation,
    kind_of_label,
    relations_by_key,
)
from roomlog.reporting.suppression import Equation, Reason, _State

log = logging.getLogger(__name__)
LEVEL = {"room": 0, "municipality": 1, "national": 2}
PERIOD_RANK = {"month": 0, "quarter": 1, "year": 2}
#: Rounds of "audit, then hide more" before giving up (each round covers every narrow cell).
MAX_ROUNDS = 30
#: HiGHS solves after which the release pass (:func:`release`) starts no new try, per protected year: the
#: bound on its cost. A solve is a warm re-solve of a block kept between tries, 1–3 ms on the demos' largest
#: blocks (1,336 hidden cells, 2,682 relations), so at most about 10 CPU-s a year. The busiest years need
#: 1,965 (12-month demo) and 2,884 (24-month demo) to try every candidate.
RELEASE_SOLVES = 4000
#: HiGHS solves the second release pass (:func:`release_secondary`: every other complement) may spend a year.
#: Only a whole year of live months reaches it (closing one month tries that month's few groups, see
#: ``SOLVES_PER_GROUP``). 2025 of a fresh 24-month demo, protected whole: 2,500 → 46.6 % of its cells hidden in
#: 122 CPU-s; 10,000 → 40.7 % in 174 CPU-s (session 12, with the sparse proof points of audit.py).
SECONDARY_SOLVES = 10000
#: ... and at most this many per complement it may try (closing one month tries only that month's).
SOLVES_PER_GROUP = 4
#: The year cells of the headline indicators (at most a few dozen groups a year) are each given a whole try:
#: one try of a room's year with its siblings costs 30–50 solves on the demos.
YEAR_SOLVES_PER_GROUP = 64
#: Solves per group, and at most in all a year, of the pass over what the pages read first (:func:`_read_first`: every
#: indicator's year cells, the headline indicators' quarters), before the second pass: the quarters'. A whole year
#: of the 24-month demo has 27–140 such groups (2025: 140; when years and quarters shared these 3,000 solves, they were
#: spent after 13 tries on its large blocks, 26 of the groups shown).
READ_FIRST_SOLVES_PER_GROUP = 16
READ_FIRST_SOLVES = 3000
#: ... except the year cells, which are new only when a year closes (once a year): each of their groups is tried, at
#: most this many solves a group and no cap for the year (2025 of the 24-month demo: 3,000 solves tried 26 of 140).
READ_FIRST_YEAR_SOLVES_PER_GROUP = 128
#: Solves per national quarter left untried by the second pass, tried after it (the ministry's figures).
NATIONAL_SOLVES_PER_GROUP = 16
#: The most cells :func:`_hide_near` hides together for one candidate (it, its twins, partners in its sums).
GROUP_CELLS = 12
#: Visible cells :func:`_hide_near` tries to hide around one narrow cell of k or more, per round.
PROBES = 24
#: Groups of one block the second pass (:func:`release_secondary`) first shows together, and the most it ever does.
BATCH = 8
MAX_BATCH = 64
#: The second pass spends at most 1/YEAR_SHARE of its budget on year cells before the other complements.
YEAR_SHARE = 3
#: Candidates next to a cell the first audit found narrow, tried together (halved on failure): most of
#: them are refused on the demo, so each is tried alone (bisection costs more once a third fail).
SUSPECT_BATCH = 1
#: National totals shown again after the headline ones, where the audit allows: overdoses and naloxone.
NATIONAL_WATCH = frozenset({"emergencies.naloxone", "emergencies.type.opioid"})
#: HiGHS solves the swap step (:func:`swap`) may spend a year: each try is a few :func:`~.audit.freeing` LPs and a
#: fresh audit of the blocks it touches.
SWAP_SOLVES = 3000
#: Narrow small counts :func:`swap` frees (one LP each) for one headline total before it gives the total up.
SWAP_ROUNDS = 6
MEMO_VERSION = 8  # of the decisions (memo.py keys them by it and this code): raise it to drop every memo entry


def _hidden(state: _State) -> set[Key]:
    # The suppression core keys its state by any Hashable; every key it holds here is a publication Key.
    return cast(set[Key], set(state.reasons))


def _twins(exact: Mapping[Key, int], equations: list[Equation]) -> dict[Key, list[Key]]:
    """Cells that always show or hide together: a total whose only non-zero part is one cell is that cell.

    In the demo three of four municipalities have one room: the municipality's totals are its room's,
    so hiding the room's total hides the municipal headline total too.
    """
    parent: dict[Key, Key] = {}

    def find(key: Key) -> Key:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    for equation in equations:
        # The suppression core keys equations by any Hashable; here they are publication Keys.
        total, parts = cast(Key, equation.total), cast(tuple[Key, ...], equation.parts)
        if exact.get(total, 0) <= 0:
            continue
        nonzero = [p for p in parts if exact.get(p, 0) > 0]
        if len(nonzero) == 1:
            a, b = find(total), find(nonzero[0])
            if a != b:
                parent[a] = b
    groups: dict[Key, list[Key]] = {}
    for key in parent:
        groups.setdefault(find(key), []).append(key)
    out: dict[Key, list[Key]] = {}
    for root, members in groups.items():
        for key in (*members, root):
            out[key] = [*members, root]
    return out


def _tier(key: Key, value: int, threshold: int) -> float:
    """2: a national headline total of k or more, 1: a municipal one, 0.5: another national total of k or more."""
    if key[1][0] != "room" and key[2] in HEADLINE_TOTALS and value >= threshold:
        return 2.0 if key[1] == NATIONAL else 1.0
    if key[1] == NATIONAL and key[2] not in EXEMPT_CODES and value >= threshold:
        return 0.5
    # A room's headline total is the part of a municipal one: hiding it spreads to its siblings' totals.
    return 0.25 if key[2] in HEADLINE_TOTALS and value >= threshold else 0.0


def _cost(
    exact: Mapping[Key, int], threshold: int, parents: set[str], twins: Mapping[Key, list[Key]]
) -> Callable[[Key], tuple[float, ...]]:
    """Rank complements: headline totals last (national ones last of all), then any national total of
    k or more, then by level, parent, period and value.

    The first element is a tier that ``_cover`` never trades for nearness: a national total of k or
    more found next to a leak is taken only when no room or municipality cell further away will do
    (in the demo, three of four municipalities have one room, so a municipality is its room and the
    nearest visible cell was always the national total: national naloxone was hidden every month).
    A cell's tier is the highest of its twins' (:func:`_twins`): the total of a one-room
    municipality's room is its municipal headline total.
    """
    tiers: dict[Key, float] = {}
    for key, group in twins.items():
        tiers[key] = max(_tier(k, exact.get(k, 0), threshold) for k in group)
    # A cell's cost never changes during one protection; :func:`_cover` asks for the same cells again and again.
    known: dict[Key, tuple[float, ...]] = {}

    def cost(key: Key) -> tuple[float, ...]:
        found = known.get(key)
        if found is not None:
            return found
        label, unit, code = key
        value = exact[key]
        tier = tiers[key] if key in tiers else _tier(key, value, threshold)
        found = known[key] = (
            tier,
            float(LEVEL[unit[0]]),
            1.0 if code in parents else 0.0,
            # A complement of k or less leaves the small cell it covers narrow: one round more.
            0.0 if value > threshold else 1.0,
            float(PERIOD_RANK[kind_of_label(label)]),
            float(value),
        )
        return found

    return cost


class _Walk:
    """The relations as :func:`_cover` walks them, numbered: each one's cells, and 0 for an equality (1 otherwise).

    Built once per protection (the relations never change while it runs): the walk then marks relations
    by number and reads plain tuples of cells, instead of unpacking every term of every relation again.
    """

    def __init__(self, relations: list[Relation]) -> None:
        number: dict[int, int] = {}
        self.cells: list[tuple[Key, ...]] = []
        self.inexact: list[float] = []
        #: Per cell, the numbers of its relations, in the order of ``relations`` (as ``by_key`` lists them).
        self.of: dict[Key, list[int]] = {}
        for relation in relations:
            n = number.get(id(relation))
            if n is None:
                n = number[id(relation)] = len(self.cells)
                self.cells.append(tuple(k for k, _c in relation.terms))
                self.inexact.append(0.0 if relation.exact else 1.0)
            for key, _coef in relation.terms:
                self.of.setdefault(key, []).append(n)


def _equations(relations: list[Relation]) -> list[Equation]:
    out = []
    for relation in relations:
        if relation.exact:
            total = [k for k, c in relation.terms if c < 0]
            parts = tuple(k for k, c in relation.terms if c > 0)
            if len(total) == 1 and parts:
                out.append(Equation(total[0], parts))
    return out


def protect_year(
    exact: Mapping[Key, int],
    relations: list[Relation],
    threshold: int,
    fixed: Mapping[Key, bool],
    forced: AbstractSet[Key] = frozenset(),
) -> set[Key]:
    """Return the hidden cells of a year component.

    ``exact`` holds every known count of the component (earlier and new cells); ``fixed``
    the hidden state of cells already published (never changed, never picked as a
    complement); ``forced`` new cells that must be hidden (hidden in an earlier version).
    Headline totals of k or more are a complement only when nothing else will do, the
    national ones last of all: siblings (rooms, municipalities, months, categories) first.
    """
    parents = {BY_CODE[c].parent for c in BY_CODE if BY_CODE[c].parent} | {"emergencies.total"}
    equations = _equations(relations)
    pinned: dict[Key, Reason | None] = {k: (Reason.SECONDARY if h else None) for k, h in fixed.items()}
    # National totals of k or more are not a complement while anything else will do.
    pinned |= {k: None for k, v in exact.items() if k not in fixed and k not in forced and _national(k, v, threshold)}
    twins = _twins(exact, equations)
    state = _State(exact, equations, pinned, _cost(exact, threshold, parents, twins))  # type: ignore[arg-type]  # the core takes a cost of any Hashable; its keys here are Keys
    for key, value in exact.items():
        if key in fixed:
            if fixed[key]:
                state.reasons[key] = Reason.SECONDARY
        elif key in forced or (key[2] not in EXEMPT_CODES and 0 < value < threshold):
            state.reasons[key] = Reason.PRIMARY
    for key in must_hide(exact, equations, threshold):
        if key not in fixed and key not in state.reasons:
            pinned.pop(key, None)
            state.reasons[key] = Reason.SECONDARY
    _log_unshowable(exact, equations, threshold)
    state.close_equations(list(range(len(equations))))
    _close_with_national_siblings(state, pinned, fixed, equations, threshold)
    fresh = set(exact) - set(fixed)
    by_key = relations_by_key(relations)
    proofs = Proofs(exact, relations, threshold)  # cells proven wide stay so while more are hidden
    walk = _Walk(relations)
    leaks = _rounds(state, exact, relations, threshold, fresh, by_key, proofs, walk)
    # Privacy first: when cells stay narrow, national totals become complements as a last resort:
    # first the non-headline ones of the codes that leak, then every non-headline one, and only then
    # the headline totals too (e.g. two versions of a revised month differ by exactly the changed cell).
    for stage in ("leaking", "non-headline", "all"):
        if not leaks:
            break
        codes = {k[2] for k in leaks}
        for key in [k for k, reason in pinned.items() if reason is None and k not in fixed]:
            headline = _kept(key, exact[key], threshold)
            if stage == "all" or (not headline and (stage == "non-headline" or key[2] in codes)):
                del pinned[key]
        leaks = _rounds(state, exact, relations, threshold, set(leaks), by_key, proofs, walk)
    audit = Showing(exact, _hidden(state), threshold, by_key)
    blocked = set(fixed) | set(forced) | must_hide(exact, equations, threshold)

    if leaks:
        log.warning("publication: %d hidden cells stay narrower than k (all cells near them are fixed)", len(leaks))
    else:
        groups = _releasable(state, exact, threshold, fixed, forced, equations, twins)
        release(state, exact, threshold, by_key, groups, RELEASE_SOLVES, audit)
    narrow_cells = show_pinned(state, exact, threshold, audit, blocked)
    # A group refused once stays refused (showing more only narrows): never tried again.
    refused: list[frozenset[Key]] = []
    if not leaks:
        # The figures read most, before the second pass's budget is spent on the many cells ranked above them:
        # the hidden year cells of the headline indicators (a room's year is last in that pass's order).
        years = _with_siblings(
            [
                g
                for g in _secondary(state, exact, threshold, blocked, twins, narrow_cells, parents)
                if any(kind_of_label(k[0]) == "year" and k[2] in HEADLINE_TOTALS for k in g)
            ],
            by_key,
        )
        if years and release_secondary(state, audit, years, YEAR_SOLVES_PER_GROUP * len(years)):
            narrow_cells = show_pinned(state, exact, threshold, audit, blocked)
        # Then the rest of what the pages read first (:func:`_read_first`): the year cells of every other indicator
        # (a year page, since opening by year) and the quarters of the headline indicators (the year to date).
        first = _read_first(_secondary(state, exact, threshold, blocked, twins, narrow_cells, parents), by_key)
        # The year cells only exist when a year closes (December, or a republish): once a year, so every year group
        # gets a try of its own (at most READ_FIRST_YEAR_SOLVES_PER_GROUP solves each, no cap for the year); the
        # quarters (closing a quarter tries only these) share READ_FIRST_SOLVES as before.
        years = [g for g in first if any(kind_of_label(k[0]) == "year" for k in g)]
        if years and release_secondary(
            state, audit, years, READ_FIRST_YEAR_SOLVES_PER_GROUP * len(years), refused=refused
        ):
            narrow_cells = show_pinned(state, exact, threshold, audit, blocked)
        quarters = [
            kept
            for g in first
            if not any(kind_of_label(k[0]) == "year" for k in g)
            for kept in [{k for k in g if k in state.reasons}]
            if kept
        ]
        if quarters and release_secondary(
            state, audit, quarters, min(READ_FIRST_SOLVES, READ_FIRST_SOLVES_PER_GROUP * len(quarters)), refused=refused
        ):
            narrow_cells = show_pinned(state, exact, threshold, audit, blocked)
        groups = _secondary(state, exact, threshold, blocked, twins, narrow_cells, parents)
        budget = min(SECONDARY_SOLVES, SOLVES_PER_GROUP * len(groups))
        start = audit.solves
        # First the year cells (the figures read most), with a share of the budget; then every other
        # complement, months first (:func:`_secondary` with ``finest``): a month's complement is tried in
        # large batches that the audit mostly keeps, where a quarter or year refused costs the same solves.
        years = [g for g in groups if any(kind_of_label(k[0]) == "year" for k in g)]
        release_secondary(state, audit, years, budget // YEAR_SHARE, refused=refused)
        rest = _secondary(state, exact, threshold, blocked, twins, narrow_cells, parents, finest=True)
        release_secondary(state, audit, rest, budget - (audit.solves - start), refused=refused)
        # The national quarters (the ministry's figures) come last in that order, and the budget ends before
        # them: each left untried gets a try of its own now, which can only show more.
        national = [
            g
            for g in _secondary(state, exact, threshold, blocked, twins, narrow_cells, parents)
            if any(k[1] == NATIONAL and kind_of_label(k[0]) == "quarter" for k in g)
        ]
        if national:
            release_secondary(state, audit, national, NATIONAL_SOLVES_PER_GROUP * len(national), refused=refused)
        narrow_cells = show_pinned(state, exact, threshold, audit, blocked)
        # What was shown can leave other complements narrower than k: those few are tried once more.
        again = [
            g
            for g in _secondary(state, exact, threshold, blocked, twins, narrow_cells, parents)
            if g & narrow_cells.keys()
        ]
        if again and release_secondary(state, audit, again, 4 * SOLVES_PER_GROUP * len(again), refused=refused):
            narrow_cells = show_pinned(state, exact, threshold, audit, blocked)
    left = widen(state, exact, threshold, blocked, audit, by_key, walk, twins, parents, refused)
    if left:
        log.warning(
            "publication: %d hidden cells of k or more stay narrower than k: no visible cell that may be hidden"
            " (not published before, not a national headline total) widens them",
            len(left),
        )
    if not leaks:
        swap(state, exact, threshold, fixed, blocked, equations, twins, by_key, left, SWAP_SOLVES)
    return _hidden(state)


def _read_first(groups: list[set[Key]], by_key: Mapping[Key, list[Relation]]) -> list[set[Key]]:
    """Of ``groups`` (:func:`_secondary`'s), those the pages read first, with their siblings (:func:`_with_siblings`).

    First the year cells of every indicator (``/national/`` for a year; since opening by year is a sum of years),
    then the quarters of the headline indicators (the year to date is a sum of quarters and the months of the
    quarter not yet complete), each in the given order (:func:`_secondary`'s: national, municipal, room; larger
    first).
    The second pass (:func:`release_secondary` over :func:`_secondary`) tries each cell with its twins only: a room's
    year beside a visible municipal year pins its sibling room, so neither is shown alone.
    """
    years: list[set[Key]] = []
    quarters: list[set[Key]] = []
    for group in groups:
        kinds = {kind_of_label(k[0]) for k in group}
        if "year" in kinds:
            years.append(group)
        elif "quarter" in kinds and any(k[2] in HEADLINE_TOTALS for k in group):
            quarters.append(group)
    return _with_siblings(years, by_key) + _with_siblings(quarters, by_key)


def _guarded(key: Key, exact: Mapping[Key, int], threshold: int) -> bool:
    """Whether a hidden cell is one the audit rounds do not already keep wide: anything but a small count."""
    return not (0 < exact.get(key, 0) < threshold and key[2] not in EXEMPT_CODES)


def widen(
    state: _State,
    exact: Mapping[Key, int],
    threshold: int,
    blocked: AbstractSet[Key],
    audit: Showing,
    by_key: Mapping[Key, list[Relation]],
    walk: _Walk,
    twins: Mapping[Key, list[Key]],
    parents: AbstractSet[str | None],
    refused: list[frozenset[Key]],
) -> dict[Key, tuple[float, float]]:
    """Leave no hidden cell of any value narrower than k; return the ranges of those left (nothing near them to hide).

    The audit rounds and the release passes keep every hidden small count at least k wide, but a hidden
    complement of k or more can end narrower (a hidden 120 in [118, 121]): a reader pins it down. Each such
    cell is first shown where that leaves every other hidden cell of its block (any value) as wide as before
    (no small count narrower than k, no new narrow cell): the cheapest way out, since it hides less. Around
    the others, visible cells are hidden (:func:`_hide_near`: nearest and cheapest first, each with its twins
    and a partner in every sum it would be alone in), keeping only those that widen the narrow cell, until
    its range is k wide. Hiding more only widens ranges, so only the narrow cells and the cells just hidden
    are audited again. Where no single cell near it widens a cell, :func:`_free_near` hides the visible cells an
    LP finds cheapest to hide together. Cells published before (fixed), hidden in an earlier version (forced)
    or kept hidden by :func:`must_hide` are never shown; a fixed cell is never hidden, nor a national total
    kept visible, so a narrow cell that only those would widen is left (and logged).
    """
    before = audit.solves
    narrow_cells = audit.spans([k for k in _hidden(state) if _guarded(k, exact, threshold)], threshold)
    if not narrow_cells:
        return {}
    count = len(narrow_cells)
    shown: list[set[Key]] = []
    known = set(refused)
    for group in _secondary(state, exact, threshold, blocked, twins, narrow_cells, parents):
        if not group & narrow_cells.keys() or frozenset(group) in known:
            continue
        if not all(key in state.reasons for key in group):
            continue
        audit.show(group)
        if not audit.narrow(group, first=True):
            blocks = {id(audit.block(key)) for key in group}
            near = [
                k
                for k in _hidden(state)
                if k not in group and _guarded(k, exact, threshold) and id(audit.block(k)) in blocks
            ]
            after = audit.spans(near, threshold)
            if after.keys() <= narrow_cells.keys():
                for key in group:
                    del state.reasons[key]
                    narrow_cells.pop(key, None)
                narrow_cells |= after
                shown.append(group)
                continue
        audit.hide(group)
    solves = audit.solves - before
    hidden_before = len(state.reasons)
    left = dict(narrow_cells)
    rounds = 0
    while left and rounds < MAX_ROUNDS:
        rounds += 1
        left, spent, more = _hide_near(state, exact, threshold, left, by_key, walk, twins)
        solves += spent
        if left and not more:
            # No visible cell near them widens any one of them alone: the LP picks the cells to hide together.
            left, spent, more = _free_near(state, exact, threshold, left, by_key, blocked)
            solves += spent
        if not more:
            break
    log.info(
        "publication: %d hidden cells of k or more were narrower than k: %d shown, %d more cells hidden"
        " (%d rounds), %d left (%d solves)",
        count,
        sum(len(g) for g in shown),
        len(state.reasons) - hidden_before,
        rounds,
        len(left),
        solves,
    )
    return left


def _hide_near(
    state: _State,
    exact: Mapping[Key, int],
    threshold: int,
    narrow_cells: Mapping[Key, tuple[float, float]],
    by_key: Mapping[Key, list[Relation]],
    walk: _Walk,
    twins: Mapping[Key, list[Key]],
) -> tuple[dict[Key, tuple[float, float]], int, bool]:
    """Hide visible cells near each narrow cell, one at a time, keeping those that widen it; one round.

    The candidates of a narrow cell are the visible cells of the relations around it (:func:`_near_visible`:
    never fixed, never a national total kept visible, headline totals last, nearest first). They are added to
    one audit (:class:`~.audit.Showing`) as shown cells, so hiding one is freeing its column: a cell is kept
    hidden only when the narrow cell's range widens, and the next is tried until it is k wide. Returns the
    cells (narrow ones left and the cells just hidden) still narrower than k, the solves, and whether
    anything was hidden.
    """
    hidden = _hidden(state)

    def with_twins(key: Key) -> list[Key]:
        same = [t for t in twins.get(key, []) if t != key and t not in state.reasons and t not in state.fixed]
        return [key, *sorted(same, key=repr)]

    def group_of(key: Key) -> list[Key]:
        # With its twins, and a partner in each equation one of them would be the only hidden cell of (alone in
        # an equation, a cell is pinned, and so is every cell equal to it), and so on: the heuristic's closing.
        cells = with_twins(key)
        queue = list(cells)
        while queue and len(cells) < GROUP_CELLS:
            cell = queue.pop(0)
            for n in state.by_key.get(cell, []):
                equation = state.equations[n]
                if state.hidden_in(equation) + sum(1 for k in equation.members if k in cells) != 1:
                    continue
                # The suppression core keys its equations by any Hashable; here they are publication Keys.
                options = [cast(Key, k) for k in state.candidates(equation) if k not in cells]
                if options:
                    partner = with_twins(min(options, key=lambda k: (state.cost(k), repr(k))))
                    cells.extend(k for k in partner if k not in cells)
                    queue.extend(partner)
        return cells

    candidates = {key: _near_visible(key, state, walk)[:PROBES] for key in sorted(narrow_cells, key=repr)}
    groups = {c: group_of(c) for near in candidates.values() for c in near}
    every = {t for group in groups.values() for t in group}
    probe = Showing(exact, hidden | every, threshold, by_key)
    probe.show(every)
    added: list[Key] = []
    for key, near in candidates.items():
        found = probe.spans([key], threshold)
        for candidate in near:
            if key not in found:
                break
            if candidate in state.reasons:
                continue
            width = found[key][1] - found[key][0]
            group = [c for c in groups[candidate] if c not in state.reasons]
            probe.hide(group)
            wider = probe.spans([key], threshold)
            if key in wider and wider[key][1] - wider[key][0] <= width + TOLERANCE:
                probe.show(group)  # no wider: visible as it was
                continue
            found = wider
            for cell in group:
                state.reasons[cell] = Reason.SECONDARY
            added.extend(group)
    still = probe.spans(sorted({*narrow_cells, *added}, key=repr), threshold)
    return still, probe.solves, bool(added)


#: The weight of hiding a visible cell in :func:`_free_near`'s LP, by its tier (:func:`_tier`): headline totals
#: last (a national one never), then national totals of k or more; room before municipal cells.
FREE_WEIGHT = {0.0: 1.0, 0.25: 2.0, 0.5: 100.0, 1.0: 10_000.0}


def _free_near(
    state: _State,
    exact: Mapping[Key, int],
    threshold: int,
    narrow_cells: Mapping[Key, tuple[float, float]],
    by_key: Mapping[Key, list[Relation]],
    blocked: AbstractSet[Key],
) -> tuple[dict[Key, tuple[float, float]], int, bool]:
    """Hide, for each narrow cell, the visible cells an LP finds cheapest to free together (:func:`~.audit.freeing`).

    :func:`_hide_near` keeps a candidate only if hiding it (with its partners in sums) widens the narrow cell
    on its own; where two visible cells bound it from both sides of a sum (a municipality's distinct
    count capped by its rooms' visible counts and held up by the nation's), no single one does. The LP
    frees the visible cells of the relations around the cell's block, each at a weight (:data:`FREE_WEIGHT`:
    never a cell published before, a zero or a national headline total of k or more), and finds two points of
    every relation k apart in the cell; hiding the visible cells they move makes both feasible for a reader, so
    the range is at least k wide. The cells just hidden may be narrow themselves: they are returned with the narrow
    cells left for the next round, as :func:`_hide_near` does.
    """
    weight: dict[Key, float] = {}
    for key, value in exact.items():
        if key in state.reasons or key in blocked or value <= 0 or key[2] in EXEMPT_CODES:
            continue
        if _kept(key, value, threshold):
            continue
        weight[key] = FREE_WEIGHT[_tier(key, value, threshold)] + 0.25 * LEVEL[key[1][0]]
    solves = 0
    added: list[Key] = []
    audit = Showing(exact, _hidden(state), threshold, by_key)
    for key in sorted(narrow_cells, key=repr):
        if key in added:
            continue
        found = audit.spans([key], threshold) if added else {key: narrow_cells[key]}
        if key not in found:
            continue
        hidden = _hidden(state)
        cells, spent = freeing(key, exact, hidden, weight, by_key, threshold)
        solves += spent
        if not cells:
            continue
        log.info("publication: %r in %r widened by hiding %r", key, found[key], cells)
        for cell in cells:
            state.reasons[cell] = Reason.SECONDARY
            weight.pop(cell, None)
        added.extend(cells)
        solves += audit.solves
        audit = Showing(exact, _hidden(state), threshold, by_key)
    still = audit.spans(sorted({*narrow_cells, *added}, key=repr), threshold)
    return still, solves + audit.solves, bool(added)


def _near_visible(key: Key, state: _State, walk: _Walk) -> list[Key]:
    """The visible cells that may be hidden around ``key`` (non-zero, not fixed), cheapest tier first, then the
    nearest (its own relations, then those of the hidden cells in them: three steps at most), then the cheapest."""
    reasons, fixed, values, cost_of = state.reasons, state.fixed, state.values, state.cost
    ranked: dict[Key, tuple[float, ...]] = {}
    seen, frontier = {key}, [key]
    walked: set[int] = set()
    for depth in range(3):
        nxt: list[Key] = []
        for at in frontier:
            for n in walk.of.get(at, ()):
                if n in walked:
                    continue
                walked.add(n)
                for k in walk.cells[n]:
                    if k in seen:
                        continue
                    seen.add(k)
                    if k in reasons:
                        nxt.append(k)
                    elif k not in fixed and values.get(k, 0) > 0:
                        cost = cost_of(k)
                        ranked[k] = (cost[0], float(depth), walk.inexact[n], *cost[1:])
        frontier = nxt
        if not frontier:
            break
    return sorted(ranked, key=lambda k: (ranked[k], repr(k)))


def _open(state: _State, exact: Mapping[Key, int], threshold: int, blocked: AbstractSet[Key]) -> list[Key]:
    """The hidden cells this protection may still show: complements (never a small count), not blocked."""
    return [
        key
        for key in _hidden(state)
        if state.reasons[key] == Reason.SECONDARY
        and key not in blocked
        and (exact[key] >= threshold or key[2] in EXEMPT_CODES)
    ]


def show_pinned(
    state: _State, exact: Mapping[Key, int], threshold: int, audit: Showing, blocked: AbstractSet[Key]
) -> dict[Key, tuple[float, float]]:
    """Show every hidden complement a reader already pins to its value; return the others narrower than k.

    A cell whose LP range (every relation, everything else as published) is one point can take no other
    value: fixing it there leaves the feasible set as it is, so showing it tells a reader nothing and needs
    no audit, and all of them can be shown at once. Never a small count, a cell published before, a cell
    hidden in an earlier version or one :func:`must_hide` keeps hidden.
    """
    before = audit.solves
    found = audit.spans(_open(state, exact, threshold, blocked), threshold)
    pinned = sorted((k for k, (lo, hi) in found.items() if hi - lo <= TOLERANCE), key=repr)
    if pinned:
        audit.show(pinned)
        for key in pinned:
            del state.reasons[key]
    log.info(
        "publication: showed %d hidden cells pinned to their value; %d more narrower than k (%d solves)",
        len(pinned),
        len(found) - len(pinned),
        audit.solves - before,
    )
    return {k: r for k, r in found.items() if r[1] - r[0] > TOLERANCE}


def _secondary(
    state: _State,
    exact: Mapping[Key, int],
    threshold: int,
    blocked: AbstractSet[Key],
    twins: Mapping[Key, list[Key]],
    narrow_cells: Mapping[Key, tuple[float, float]],
    parents: AbstractSet[str | None],
    finest: bool = False,
) -> list[set[Key]]:
    """Every other hidden complement, each with its twins (:func:`_twins`), in the order they are tried.

    Order (fixed, so publishing stays deterministic): the cells a reader can narrow below k first (hidden
    for nothing: they protect little), then national before municipal before room cells, years before
    quarters before months, parent indicators before breakdown categories, larger values first. With
    ``finest``: months before quarters before years, and room before municipal before national cells.
    """
    sign = 1 if finest else -1

    def rank(key: Key) -> tuple[int, int, int, int, int, str]:
        label, unit, code = key
        period, level = sign * PERIOD_RANK[kind_of_label(label)], sign * LEVEL[unit[0]]
        return (
            0 if key in narrow_cells else 1,
            period if finest else level,
            level if finest else period,
            0 if code in parents or not BY_CODE[code].parent else 1,
            -exact[key],
            repr(key),
        )

    candidates = set(_open(state, exact, threshold, blocked))
    out: list[set[Key]] = []
    taken: set[Key] = set()
    for key in sorted(candidates, key=rank):
        if key in taken:
            continue
        group = {key} | {t for t in twins.get(key, []) if t in candidates and t not in taken}
        taken |= group
        out.append(group)
    return out


class _Joined:
    """Disjoint sets of integers (union-find with path halving); the smaller number names a joined set."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, n: int) -> int:
        parent = self.parent
        while parent.setdefault(n, n) != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def join(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _with_siblings(groups: list[set[Key]], by_key: Mapping[Key, list[Relation]]) -> list[set[Key]]:
    """``groups`` joined with the other groups of their hidden siblings: the same period and indicator in the
    same sum (a municipality's rooms). With the total visible, showing one sibling pins the other: they are
    shown together or not at all. Order kept (a joined group takes the place of its first member)."""
    owner = {key: n for n, group in enumerate(groups) for key in group}
    sets = _Joined()
    for key, n in owner.items():
        for relation in by_key.get(key, []):
            if not relation.exact:
                continue
            for other, _coef in relation.terms:
                m = owner.get(other)
                if m is not None and other[0] == key[0] and other[2] == key[2] and other[1][0] == key[1][0]:
                    sets.join(n, m)
    joined: dict[int, set[Key]] = {}
    for n, group in enumerate(groups):
        joined.setdefault(sets.find(n), set()).update(group)
    return [joined[n] for n in sorted(joined)]


def release_secondary(
    state: _State,
    audit: Showing,
    groups: list[set[Key]],
    solves: int = SECONDARY_SOLVES,
    batch: int | None = None,
    refused: list[frozenset[Key]] | None = None,
) -> list[set[Key]]:
    """Show ``groups`` of hidden complements again where the LP audit still passes; return the groups shown.

    The second release pass, after the headline totals (:func:`release`), on the same kept models. Adaptive
    group testing per block: the next groups of one block (:meth:`~.audit.Showing.block`; groups in different
    blocks never change each other's audit) are shown together and kept if no hidden small count of the block
    becomes narrower than k (one verification for the whole batch); a refused batch is halved, and a half
    refused after its sibling half was kept is halved without a try (the two together were refused).
    Showing more cells only narrows ranges, so the groups kept are exactly those that trying them one after
    another in the given order would keep (within one block; blocks are independent), for far fewer solves:
    a kept try checks every small count of its block, a refused one stops at the first narrow one.

    The batch size starts at ``batch`` (:data:`BATCH`) per block, doubles (up to :data:`MAX_BATCH`) after a
    batch kept whole and halves after a refused one. The blocks take turns by the given order: the block whose
    next group comes first goes next. No try starts once ``solves`` more HiGHS solves are spent.

    ``refused`` (kept by the caller between passes) gets each group refused on its own; a group holding one
    of them is not tried (it would be refused: the cells shown since only narrow the ranges).
    """
    limit = audit.solves + solves
    shown: list[set[Key]] = []
    tries = 0
    if refused is None:
        refused = []
    known: dict[Key, list[frozenset[Key]]] = {}
    for group in refused:
        for key in group:
            known.setdefault(key, []).append(group)
    groups = [g for g in groups if not any(r <= g for key in g for r in known.get(key, ()))]

    def attempt(part: list[set[Key]]) -> bool:
        nonlocal tries
        tries += 1
        cells = set().union(*part)
        audit.show(cells)
        if audit.narrow(cells, first=True):
            audit.hide(cells)
            return False
        for key in cells:
            del state.reasons[key]
        shown.extend(part)
        return True

    def test(part: list[set[Key]], failed: bool = False) -> bool:
        """Try ``part`` (known to be refused already when ``failed``); whether it was kept whole."""
        if not part or audit.solves >= limit:
            return False
        if not failed and attempt(part):
            return True
        if len(part) > 1:
            half = len(part) // 2
            test(part[half:], failed=test(part[:half]))
        else:
            refused.append(frozenset(part[0]))
        return False

    queues = _by_block(audit, groups)
    size = [batch or BATCH] * len(queues)
    at = [0] * len(queues)
    turn = [(queue[0][0], n) for n, queue in enumerate(queues)]
    heapq.heapify(turn)
    while turn and audit.solves < limit:
        _first, n = heapq.heappop(turn)
        queue = queues[n]
        part = [group for _index, group in queue[at[n] : at[n] + size[n]]]
        at[n] += len(part)
        size[n] = min(MAX_BATCH, 2 * size[n]) if test(part) else max(1, size[n] // 2)
        if at[n] < len(queue):
            heapq.heappush(turn, (queue[at[n]][0], n))
    log.info(
        "publication: showed %d of %d hidden complements again (%d tries, %d solves)",
        len(shown),
        len(groups),
        tries,
        audit.solves - limit + solves,
    )
    return shown


def _by_block(audit: Showing, groups: list[set[Key]]) -> list[list[tuple[int, set[Key]]]]:
    """``groups`` (numbered in their order) per block of the audit, blocks in the order of their first group.

    A group whose cells lie in several blocks joins them (its audit checks all of them).
    """
    sets = _Joined()
    first_block: list[int] = []
    for group in groups:
        ids = sorted({id(audit.block(key)) for key in group})
        for other in ids[1:]:
            sets.join(ids[0], other)
        first_block.append(ids[0])
    queues: dict[int, list[tuple[int, set[Key]]]] = {}
    for index, (group, block) in enumerate(zip(groups, first_block, strict=True)):
        queues.setdefault(sets.find(block), []).append((index, group))
    return sorted(queues.values(), key=lambda queue: queue[0][0])


def _releasable(
    state: _State,
    exact: Mapping[Key, int],
    threshold: int,
    fixed: Mapping[Key, bool],
    forced: AbstractSet[Key],
    equations: list[Equation],
    twins: Mapping[Key, list[Key]],
) -> list[set[Key]]:
    """The hidden totals worth showing again, each with its twins, in the order they are tried.

    The heuristic closes one equation after another with the cheapest candidate and the audit rounds
    cover each narrow cell on its own, so many municipal headline totals end up hidden that the audit
    does not need once the rest is hidden. Candidates: complements (never a small count, never a cell
    published before or hidden in an earlier version, never a total that pins a small part whatever
    else is hidden) that are municipal or national headline totals of k or more, or national overdoses
    and naloxone. Order (fixed, so publishing stays deterministic): national headline totals, then the
    national watch list, then municipal headline totals; years before quarters before months; largest
    first. A cell equal to the candidate through a sum (:func:`_twins`) is shown with it.
    """
    blocked = set(fixed) | set(forced) | must_hide(exact, equations, threshold)

    def wanted(key: Key) -> bool:
        if state.reasons.get(key) != Reason.SECONDARY or key in blocked:
            return False
        if exact[key] < threshold or key[1][0] == "room":
            return False
        return key[2] in HEADLINE_TOTALS or (key[1] == NATIONAL and key[2] in NATIONAL_WATCH)

    def rank(key: Key) -> tuple[int, int, int, str]:
        group = 0 if key[1] == NATIONAL and key[2] in HEADLINE_TOTALS else (1 if key[1] == NATIONAL else 2)
        return (group, -PERIOD_RANK[kind_of_label(key[0])], -exact[key], repr(key))

    out: list[set[Key]] = []
    taken: set[Key] = set()
    for key in sorted((k for k in _hidden(state) if wanted(k)), key=rank):
        if key in taken:
            continue
        same = twins.get(key, [])
        group = {key} | {t for t in same if state.reasons.get(t) == Reason.SECONDARY and t not in blocked}
        if group & taken:
            continue
        taken |= group
        out.append(group)
    return out


def release(
    state: _State,
    exact: Mapping[Key, int],
    threshold: int,
    by_key: Mapping[Key, list[Relation]],
    groups: list[set[Key]],
    solves: int = RELEASE_SOLVES,
    audit: Showing | None = None,
) -> list[set[Key]]:
    """Show ``groups`` of hidden cells again where the LP audit still passes; return the groups shown.

    Only shrinks the hidden set, and only by what the audit accepts, so no small count becomes
    narrower than k and no year hides more than before. The first audit shows every group at once
    (the floor): when it passes, all are shown. Otherwise the small counts it finds wide stay wide in
    every later try (each hides a superset of the floor), so later tries solve only the few it found
    narrow. The groups far from those (:func:`_near`) are then tried together, and the suspects near
    them in batches of ``SUSPECT_BATCH``, in the given order; a batch the audit rejects is halved until
    each failing group is tried alone. Each try fixes the shown cells in models built once
    (:class:`~.audit.Showing`); no try starts once ``solves`` HiGHS solves are spent.
    """
    if not groups or solves <= 0:
        return []
    every = set().union(*groups)
    if audit is None:
        audit = Showing(exact, _hidden(state), threshold, by_key)
    solves += audit.solves
    audit.show(every)
    narrow_at_floor = set(audit.narrow(every))
    if not narrow_at_floor:
        for key in every:
            del state.reasons[key]
        log.info("publication: showed all %d hidden totals again (%d solves)", len(groups), audit.solves)
        return list(groups)
    audit.hide(every)
    shown: list[set[Key]] = []
    tries = 1

    def attempt(batch: list[set[Key]]) -> bool:
        nonlocal tries
        tries += 1
        cells = set().union(*batch)
        audit.show(cells)
        if audit.narrow(cells, narrow_at_floor, first=True):
            audit.hide(cells)
            return False
        for key in cells:
            del state.reasons[key]
        return True

    def test(batch: list[set[Key]]) -> None:
        if not batch or audit.solves >= solves:
            return
        if attempt(batch):
            shown.extend(batch)
        elif len(batch) > 1:
            half = len(batch) // 2
            test(batch[:half])
            test(batch[half:])

    near = _near(narrow_at_floor, by_key)
    suspects = [group for group in groups if group & near]
    test([group for group in groups if not group & near])
    for start in range(0, len(suspects), SUSPECT_BATCH):
        test(suspects[start : start + SUSPECT_BATCH])
    log.info(
        "publication: showed %d of %d hidden totals again (%d suspects, %d tries, %d solves)",
        len(shown),
        len(groups),
        len(suspects),
        tries,
        audit.solves,
    )
    return shown


def _rank(key: Key) -> tuple[int, int]:
    """A cell's level and period kind: a headline total may be hidden for one that ranks above it in both."""
    return LEVEL[key[1][0]], PERIOD_RANK[kind_of_label(key[0])]


def _below(key: Key, ranks: AbstractSet[tuple[int, int]]) -> bool:
    """Whether ``key`` ranks below one of ``ranks``: no higher in level and period, lower in one (a municipality's
    month below the nation's month, a municipality's month below its quarter)."""
    level, period = _rank(key)
    return any(level <= lv and period <= pr and (level, period) != (lv, pr) for lv, pr in ranks)


def _headline(key: Key, value: int, threshold: int) -> bool:
    """Whether a cell is a municipal or national headline total of k or more (what stays visible where it can)."""
    return key[1][0] != "room" and key[2] in HEADLINE_TOTALS and value >= threshold


def swap(
    state: _State,
    exact: Mapping[Key, int],
    threshold: int,
    fixed: Mapping[Key, bool],
    blocked: AbstractSet[Key],
    equations: list[Equation],
    twins: Mapping[Key, list[Key]],
    by_key: Mapping[Key, list[Relation]],
    left: Mapping[Key, tuple[float, float]],
    solves: int = SWAP_SOLVES,
) -> list[set[Key]]:
    """Show hidden headline totals of k or more by hiding cheaper visible cells instead; return the groups shown.

    :func:`release` only shows cells: a hidden national month whose showing pins a small count (the nation's 13
    acute treatments = København's visible 12 + Odense's hidden 1) stays hidden, although hiding København's 12
    instead (its rooms are hidden) would keep Odense's 1 in [1, 11]. For each hidden municipal or national headline
    total of k or more that the data do not force hidden (:func:`unshowable_national` at both levels; never a cell
    published before, hidden in an earlier version or kept hidden by :func:`must_hide`), in :func:`_releasable`'s
    order (national first; years, quarters, months), the total is shown (with its twins) and, for each small count
    that becomes narrower than k, :func:`~.audit.freeing` names the cheapest visible cells to hide instead
    (:data:`FREE_WEIGHT`: ordinary and room cells first; never a zero, a cell published before or a national
    headline total of k or more; a municipal headline total of k or more only when it ranks below the total shown,
    :func:`_below`). The swap is kept when a fresh audit of the blocks it touches finds no small count narrower
    than k and no hidden cell of any value newly narrower than k (``left``: those :func:`widen` left), and it
    hides no more headline totals of k or more than it shows; else it is undone. No try starts once ``solves``
    HiGHS solves are spent.
    """
    groups = [
        g
        for g in _releasable(state, exact, threshold, fixed, blocked, equations, twins)
        if any(_headline(k, exact[k], threshold) for k in g)
    ]
    never = unshowable_national(exact, equations, threshold, {"municipality", "national"})
    groups = [g for g in groups if not g & never]
    if not groups:
        return []
    weight: dict[Key, float] = {}
    for key, value in exact.items():
        if key in state.reasons or key in fixed or key in blocked or value <= 0 or key[2] in EXEMPT_CODES:
            continue
        if not _kept(key, value, threshold):
            weight[key] = FREE_WEIGHT[_tier(key, value, threshold)] + 0.25 * LEVEL[key[1][0]]
    spent = 0
    audit = Showing(exact, _hidden(state), threshold, by_key)
    shown: list[set[Key]] = []
    for group in groups:
        if spent + audit.solves >= solves:
            break
        heads = [k for k in group if _headline(k, exact[k], threshold)]
        ranks = {_rank(k) for k in heads}
        movable = {
            k: w
            for k, w in weight.items()
            if k not in group and (not _headline(k, exact[k], threshold) or _below(k, ranks))
        }
        audit.show(group)
        narrow_cells = audit.narrow(group, first=True)
        audit.hide(group)
        now = _hidden(state) - group
        added: list[Key] = []
        for _round in range(SWAP_ROUNDS):
            if not narrow_cells:
                break
            cell = min(narrow_cells, key=repr)
            cells, used = freeing(cell, exact, now, movable, by_key, threshold)
            spent += used
            if not cells:
                break
            now |= set(cells)
            added.extend(cells)
            for key in cells:
                movable.pop(key, None)
            check = Showing(exact, now, threshold, by_key)
            narrow_cells = check.narrow(_touched(group, added, now, by_key), first=True)
            spent += check.solves
        if narrow_cells:
            log.debug("publication: swap of %r refused: %r stays narrow (hiding %r)", heads, narrow_cells, added)
            continue
        if sum(1 for k in added if _headline(k, exact[k], threshold)) > len(heads):
            log.debug("publication: swap of %r refused: it hides headline totals %r", heads, added)
            continue
        check = Showing(exact, now, threshold, by_key)
        touched = _touched(group, added, now, by_key)
        near = {k for t in touched for k in check.block(t).keys if _guarded(k, exact, threshold)}
        wide = not check.narrow(touched, first=True) and check.spans(near, threshold).keys() <= left.keys()
        spent += check.solves
        if not wide:
            log.debug("publication: swap of %r refused: a fresh audit finds a cell narrower than k", heads)
            continue
        for key in group:
            del state.reasons[key]
        for key in added:
            state.reasons[key] = Reason.SECONDARY
            weight.pop(key, None)
        log.info("publication: showed %r by hiding %r", sorted(group, key=repr), added)
        shown.append(group)
        spent += audit.solves
        audit = Showing(exact, _hidden(state), threshold, by_key)
    log.info(
        "publication: %d of %d hidden headline totals shown by a swap (%d solves)",
        len(shown),
        len(groups),
        spent + audit.solves,
    )
    return shown


def _touched(
    group: AbstractSet[Key], added: list[Key], hidden: AbstractSet[Key], by_key: Mapping[Key, list[Relation]]
) -> list[Key]:
    """The hidden cells whose blocks a swap changes: those in a relation with a cell it shows, and those it hides."""
    near = {k for key in group for r in by_key.get(key, ()) for k, _c in r.terms if k in hidden}
    return sorted(near | set(added), key=repr)


def _near(cells: AbstractSet[Key], by_key: Mapping[Key, list[Relation]]) -> set[Key]:
    """The cells in a relation with one of ``cells``: where a total that pins them most often lies.

    A small count narrow with every candidate shown is most often pinned by a relation it is in (a
    quarter minus its other months, a national sum minus the other municipalities); the groups near
    one are tried apart, so one refusal does not cost a bisection of every candidate.
    """
    return {k for key in cells for r in by_key.get(key, ()) for k, _c in r.terms}


def _close_with_national_siblings(
    state: _State,
    pinned: dict[Key, Reason | None],
    fixed: Mapping[Key, bool],
    equations: list[Equation],
    threshold: int,
) -> None:
    """Close an equation whose only candidates are national totals of k or more with the cheapest one.

    A national breakdown (referrals by kind, emergencies by type) with one small hidden category has
    only national siblings left: hiding one of them (never a headline total) is the sibling complement;
    leaving it to the audit rounds hid every room and municipality around it first.
    """
    while True:
        queue: list[int] = []
        for equation in equations:
            if state.hidden_in(equation) != 1 or state.candidates(equation):
                continue
            options = [
                k
                for k in equation.members
                if k in pinned
                and k not in fixed
                and k not in state.reasons
                and state.values[k] > 0
                and not _kept(k, state.values[k], threshold)
            ]
            if options:
                pick = min(options, key=state.cost)
                del pinned[pick]
                queue.extend(state.hide(pick))
        if not queue:
            return
        state.close_equations(queue)


def must_hide(exact: Mapping[Key, int], equations: list[Equation], threshold: int) -> set[Key]:
    """Totals of k or more that give a small part away whatever else is hidden.

    A total T of n non-zero parts, one of them 1..k−1, leaves that part in [1, T − (n − 1)] even when
    every part is hidden: narrower than k when T − n < k (a national 5 made of 3 + 1 + 1). Hiding it
    first saves the rounds that would otherwise hide everything around it before giving in.
    """
    out: set[Key] = set()
    for equation in equations:
        total = cast(Key, equation.total)
        value = exact.get(total, 0)
        if value < threshold or total[2] in EXEMPT_CODES:
            continue
        nonzero = [exact.get(cast(Key, p), 0) for p in equation.parts if exact.get(cast(Key, p), 0) > 0]
        if any(v < threshold for v in nonzero) and value - len(nonzero) < threshold:
            out.add(total)
    return out


def _log_unshowable(exact: Mapping[Key, int], equations: list[Equation], threshold: int) -> None:
    """Say which national headline totals of k or more no hiding can show (:func:`unshowable_national`)."""
    found = sorted(k for k in unshowable_national(exact, equations, threshold) if k[2] in HEADLINE_TOTALS)
    if found:
        log.info("publication: %d national headline totals can never be shown: %s", len(found), found)


def unshowable_national(
    exact: Mapping[Key, int],
    equations: list[Equation],
    threshold: int,
    levels: AbstractSet[str] = frozenset({"national"}),
) -> set[Key]:
    """National totals of k or more that give a small count away whatever else is hidden, through sums of sums.

    Zeros are shown and a hidden count is at least 1, so a total T that is the sum of n non-zero cells
    at the end of a chain of sums (nation → municipalities → rooms → the types of a breakdown, a quarter
    → its months) leaves each of them in [1, T − (n − 1)]: narrower than k when T − n < k, and with
    n ≥ 2 one of them is 1..k−1. :func:`must_hide` looks one sum deep; the national emergencies of a
    quiet month (13 = nine room-types of 1 to 4) need the whole chain. ``levels``: the units' levels asked
    about (``{"municipality", "national"}`` for the headline totals :func:`swap` may show).
    """
    sums: dict[Key, list[tuple[Key, ...]]] = {}
    for equation in equations:
        sums.setdefault(cast(Key, equation.total), []).append(cast(tuple[Key, ...], equation.parts))
    known: dict[Key, int] = {}

    def leaves(key: Key) -> int:
        """The most non-zero cells ``key`` is a sum of, over its chains of sums (sums only go finer)."""
        found = known.get(key)
        if found is None:
            found = 0 if exact.get(key, 0) <= 0 else max([1, *(sum(map(leaves, parts)) for parts in sums.get(key, ()))])
            known[key] = found
        return found

    return {
        key
        for key in sums
        if key[1][0] in levels
        and key[2] not in EXEMPT_CODES
        and exact.get(key, 0) >= threshold
        and (n := leaves(key)) >= 2
        and exact[key] - n < threshold
    }


def _rounds(
    state: _State,
    exact: Mapping[Key, int],
    relations: list[Relation],
    threshold: int,
    audit_keys: set[Key],
    by_key: Mapping[Key, list[Relation]],
    proofs: Proofs,
    walk: _Walk,
) -> dict[Key, tuple[float, float]]:
    """Audit, then hide more, until no small count is narrower than k; return the leaks left.

    Each round audits only the blocks that changed: at first those of ``audit_keys``, then
    those of the cells just hidden and of the leaks left (every other block passed already).
    """
    leaks: dict[Key, tuple[float, float]] = {}
    for _round in range(MAX_ROUNDS):
        found = narrow(exact, relations, _hidden(state), threshold, audit_keys, by_key, proofs)
        leaks = _sensitive(found, exact, threshold)
        if not leaks:
            return leaks
        picks: set[Key] = set()
        for key in sorted(leaks, key=repr):
            pick = _cover(key, state, walk)
            log.debug("publication: %r ranges %r; hiding %r", key, leaks[key], pick)
            if pick is not None:
                before = _hidden(state)
                state.close_equations(list(state.hide(pick)))
                picks |= _hidden(state) - before
        if not picks:
            return leaks
        audit_keys = picks | set(leaks)
    found = narrow(exact, relations, _hidden(state), threshold, audit_keys, by_key, proofs)
    return _sensitive(found, exact, threshold)


def _national(key: Key, value: int, threshold: int) -> bool:
    """Whether a cell is a national total of k or more (of a count): a complement only as a last resort."""
    return key[1] == NATIONAL and key[2] not in EXEMPT_CODES and value >= threshold


def _kept(key: Key, value: int, threshold: int) -> bool:
    """Whether a cell is a national headline total of k or more: it stays visible."""
    return key[1] == NATIONAL and key[2] in HEADLINE_TOTALS and value >= threshold


def _sensitive(
    found: Mapping[Key, tuple[float, float]], exact: Mapping[Key, int], threshold: int
) -> dict[Key, tuple[float, float]]:
    """The narrow cells that hold a small count (1..k−1).

    A complement of k or more pinned near its value gives no small count away, so only
    small counts need a range of at least k.
    """
    return {key: r for key, r in found.items() if 0 < exact.get(key, 0) < threshold}


def _cover(key: Key, state: _State, walk: _Walk) -> Key | None:
    """A visible, unfixed, non-zero cell near ``key``: never a headline total if anything else will do,
    then the nearest (its own relations, equalities first), then the cheapest.

    The walk stops at the first depth with a room or municipal cell of tier below 0.5 (a room's
    headline total included): looking further for a breakdown cell made publishing twice as slow.
    """
    reasons, fixed, values, cost_of = state.reasons, state.fixed, state.values, state.cost
    seen, frontier = {key}, [key]
    best: tuple[float, ...] | None = None
    pick: Key | None = None
    # A relation walked once (at this depth or a nearer one) gives nothing new: its candidates rank no
    # better a second time, and its hidden cells are already seen. One pass finds both.
    walked: set[int] = set()
    for depth in range(8):
        nxt = []
        near = float(depth)
        for hidden_key in frontier:
            for n in walk.of.get(hidden_key, ()):
                if n in walked:
                    continue
                walked.add(n)
                inexact = walk.inexact[n]
                for k in walk.cells[n]:
                    if k in reasons:
                        if k not in seen:
                            seen.add(k)
                            nxt.append(k)
                        continue
                    if k in fixed or values.get(k, 0) <= 0:
                        continue
                    cost = cost_of(k)
                    if best is not None and cost[0] > best[0]:
                        continue  # a higher tier never ranks first (the rank's first element)
                    rank = (cost[0], near, inexact, *cost[1:])
                    if best is None or rank < best:
                        best, pick = rank, k
        if best is not None and best[0] < 0.5:
            return pick
        if not nxt:
            break
        frontier = nxt
    return pick
