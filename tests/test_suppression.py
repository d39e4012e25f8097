"""Disclosure control: primary and complementary suppression, attacked by brute force."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomlog.reporting.disclosure_check import disclosed_cells, hidden_ranges
from roomlog.reporting.suppression import Equation, Rate, Reason, protect

K = 5


def hierarchy(municipalities: list[list[int]]) -> tuple[dict[str, int], list[Equation]]:
    """Rooms → municipality totals → national total, as the API publishes them."""
    values: dict[str, int] = {}
    equations = []
    for m, rooms in enumerate(municipalities):
        keys = []
        for r, value in enumerate(rooms):
            values[f"r{m}.{r}"] = value
            keys.append(f"r{m}.{r}")
        values[f"m{m}"] = sum(rooms)
        equations.append(Equation(f"m{m}", tuple(keys)))
    values["dk"] = sum(values[f"m{m}"] for m in range(len(municipalities)))
    equations.append(Equation("dk", tuple(f"m{m}" for m in range(len(municipalities)))))
    return values, equations


def grid(rows: list[list[int]]) -> tuple[dict[tuple[int, int], int], list[Equation]]:
    """Rooms × months with row totals (period total), column totals and a grand total."""
    n_rows, n_cols = len(rows), len(rows[0])
    values = {(r, c): rows[r][c] for r in range(n_rows) for c in range(n_cols)}
    for r in range(n_rows):
        values[(r, n_cols)] = sum(rows[r])
    for c in range(n_cols + 1):
        values[(n_rows, c)] = sum(values[(r, c)] for r in range(n_rows))
    equations = [Equation((r, n_cols), tuple((r, c) for c in range(n_cols))) for r in range(n_rows + 1)]
    equations += [Equation((n_rows, c), tuple((r, c) for r in range(n_rows))) for c in range(n_cols + 1)]
    return values, equations


def brute_force_values(
    leaves: list, totals: Mapping[object, tuple], values: Mapping, reasons: Mapping, cap: int
) -> dict[object, set[int]]:
    """Every value each hidden cell can take, over all integer tables that fit what is published.

    Exhaustive over every hidden leaf value in 0..cap, as trying each combination would be, but depth
    first: a total is checked as soon as its last hidden part has a value, a branch whose partial sum
    already exceeds what a total may be (its published value; k - 1 for a primary cell) is cut, and the
    last hidden part of a published total can take only the one value that makes the sum. Every value
    is non-negative, so no table that fits is cut: the same tables as the full product, far fewer steps.
    """

    def allowed(key: object, value: int) -> bool:
        reason = reasons.get(key)
        if reason is None:
            return value == values[key]
        if reason == Reason.PRIMARY:
            return 1 <= value < K
        if reason == Reason.GROUP:
            return value >= 0
        # A complement is a visible non-zero cell (so ≥ k), or — as a last resort — a zero.
        return value >= K or value == 0

    def ceiling(key: object) -> int | None:
        reason = reasons.get(key)
        if reason is None:
            return int(values[key])
        return K - 1 if reason == Reason.PRIMARY else None

    hidden = [leaf for leaf in leaves if leaf in reasons]
    position = {leaf: i for i, leaf in enumerate(hidden)}
    choices = [[v for v in range(cap + 1) if allowed(leaf, v)] for leaf in hidden]
    partial = {total: sum(values[leaf] for leaf in parts if leaf not in reasons) for total, parts in totals.items()}
    seen: dict[object, set[int]] = {key: set() for key in reasons}
    member: list[dict[object, int]] = [{} for _ in hidden]  # total → how often the leaf is one of its parts
    closing: list[list[object]] = [[] for _ in hidden]  # the totals whose last hidden part the leaf is
    for total, parts in totals.items():
        places = [position[part] for part in parts if part in position]
        for i in places:
            member[i][total] = member[i].get(total, 0) + 1
        if places:
            closing[max(places)].append(total)
        elif not allowed(total, partial[total]):
            return seen  # no table fits
    assignment: dict[object, int] = {}

    def descend(i: int) -> None:
        if i == len(hidden):
            for key in reasons:
                seen[key].add(assignment[key] if key in assignment else partial[key])
            return
        options = choices[i]
        for total in closing[i]:
            if reasons.get(total) is None:  # a published total: one value of this part makes the sum
                times, rest = member[i][total], values[total] - partial[total]
                options = [v for v in options if v * times == rest]
        for value in options:
            for total, times in member[i].items():
                partial[total] += value * times
            over = any((top := ceiling(total)) is not None and partial[total] > top for total in member[i])
            if not over and all(allowed(total, partial[total]) for total in closing[i]):
                assignment[hidden[i]] = value
                descend(i + 1)
            for total, times in member[i].items():
                partial[total] -= value * times
            if over:
                break  # the options rise: a larger value overshoots too
        assignment.pop(hidden[i], None)

    descend(0)
    return seen


def test_small_counts_are_hidden_zeros_and_larger_counts_shown() -> None:
    result = protect({"a": 0, "b": 1, "c": 4, "d": 5, "e": 900}, threshold=K)
    assert result.reasons == {"b": Reason.PRIMARY, "c": Reason.PRIMARY}
    assert result.display("a", 0) == 0
    assert result.display("b", 1) == ".."
    assert result.shown("c", 4) is None
    assert result.shown("d", 5) == 5


def test_a_lone_small_room_hides_a_complement_and_the_totals_cannot_give_it_away() -> None:
    values, equations = hierarchy([[3, 40, 12], [200, 7]])
    result = protect(values, equations, K)
    assert result.reasons["r0.0"] == Reason.PRIMARY
    assert result.reasons["r0.2"] == Reason.SECONDARY  # the smallest visible room beside it
    assert disclosed_cells(values, equations, result.reasons, K) == []


def test_only_room_in_its_municipality_hides_the_municipality_total_and_one_more_at_national_level() -> None:
    values, equations = hierarchy([[2], [50, 60], [9]])
    result = protect(values, equations, K)
    assert {"r0.0", "m0"} <= set(result.reasons)
    assert result.reasons["m0"] == Reason.PRIMARY
    national = [key for key in ("m1", "m2", "dk") if key in result.reasons]
    assert national, "the national total would otherwise give the municipality away"
    assert disclosed_cells(values, equations, result.reasons, K) == []


def test_knowing_that_secondary_cells_are_at_least_k_is_taken_into_account() -> None:
    # 1 + 5 = 6: hiding 1 and 5 alone lets a reader infer 5 ≥ k, so 1 ≤ 1 → 1 exactly.
    values = {"a": 1, "b": 5, "t": 6}
    result = protect(values, [Equation("t", ("a", "b"))], K)
    assert set(result.reasons) == {"a", "b", "t"}


def test_rates_follow_their_numerator_and_denominator() -> None:
    values = {"emergencies": 3, "consumptions": 800}
    result = protect(values, [], K, rates=[Rate("per_1000", "emergencies", "consumptions")])
    assert result.reasons["per_1000"] == Reason.RATE
    clean = protect({"emergencies": 30, "consumptions": 800}, [], K, rates=[Rate("r", "emergencies", "consumptions")])
    assert "r" not in clean.reasons


def test_fixed_cells_keep_their_state_and_the_range_total_is_hidden_instead() -> None:
    # Months were published elsewhere: January hidden (3) with February as its complement.
    values = {"jan": 3, "feb": 40, "mar": 50, "q1": 93}
    fixed = {"jan": Reason.PRIMARY, "feb": Reason.SECONDARY, "mar": None}
    result = protect(values, [Equation("q1", ("jan", "feb", "mar"))], K, fixed=fixed)
    assert "mar" not in result.reasons
    assert result.reasons["jan"] == Reason.PRIMARY
    assert disclosed_cells(values, [Equation("q1", ("jan", "feb", "mar"))], result.reasons, K) == []


def test_exempt_cells_are_not_hidden_for_being_small() -> None:
    assert protect({"opening.days": 3}, [], K, exempt={"opening.days"}).reasons == {}


def test_the_listing_gives_every_hidden_cell_with_its_reason() -> None:
    values, equations = hierarchy([[3, 40, 12]])
    listing = protect(values, equations, K).listing()
    assert listing[0] == ("r0.0", Reason.PRIMARY)
    assert {reason for _, reason in listing} == {Reason.PRIMARY, Reason.SECONDARY}


def test_a_table_of_only_small_counts_is_listed_as_one_group() -> None:
    values, equations = hierarchy([[1, 1], [1, 1]])
    result = protect(values, equations, K)
    assert set(result.reasons.values()) == {Reason.GROUP}
    assert len(result.reasons) == len(values)
    assert disclosed_cells(values, equations, result.reasons, K) == []


def test_the_attack_finds_a_value_given_away_by_a_total() -> None:
    values, equations = hierarchy([[3, 40]])
    assert disclosed_cells(values, equations, {"r0.0": Reason.PRIMARY}, K) == ["r0.0"]
    ranges = hidden_ranges(values, equations, {"r0.0": Reason.PRIMARY, "r0.1": Reason.SECONDARY}, K)
    assert ranges["r0.0"] == (1, 4)


room_value = st.one_of(st.integers(0, 4), st.integers(0, 14))


def room_tables(columns: tuple[int, int], rows: tuple[int, int]) -> st.SearchStrategy[list[list[int]]]:
    """Tables of room values with every row as wide; ``columns`` and ``rows`` are (fewest, most)."""
    return st.integers(*columns).flatmap(
        lambda cols: st.lists(st.lists(room_value, min_size=cols, max_size=cols), min_size=rows[0], max_size=rows[1])
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(room_value, min_size=1, max_size=3), min_size=1, max_size=3))
def test_no_hidden_room_or_total_can_be_recovered_in_a_hierarchy(municipalities: list[list[int]]) -> None:
    values, equations = hierarchy(municipalities)
    result = protect(values, equations, K)
    for key, value in values.items():
        if 0 < value < K:
            assert result.reasons[key] in (Reason.PRIMARY, Reason.GROUP)
    leaves = [key for key in values if key.startswith("r")]
    hidden_leaves = [key for key in leaves if key in result.reasons]
    if len(hidden_leaves) > 4:
        return  # brute force below is too slow; the built-in attack still checks it
    totals = {eq.total: tuple(p for p in leaves if p.split(".")[0][1:] == eq.total[1:]) for eq in equations[:-1]}
    totals["dk"] = tuple(leaves)
    cap = max(values["dk"], K) + 3
    possible = brute_force_values(leaves, totals, values, result.reasons, cap)
    for key, options in possible.items():
        assert values[key] in options
        if values[key]:  # a zero used as a last-resort complement may show through; zeros are public
            assert len(options) > 1, f"{key} = {values[key]} can be recovered from {result.reasons}"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(room_tables(columns=(2, 3), rows=(2, 2)))
def test_no_hidden_cell_can_be_recovered_in_a_two_way_table(rows: list[list[int]]) -> None:
    values, equations = grid(rows)
    result = protect(values, equations, K)
    assert disclosed_cells(values, equations, result.reasons, K) == []
    leaves = [(r, c) for r in range(len(rows)) for c in range(len(rows[0]))]
    if sum(1 for leaf in leaves if leaf in result.reasons) > 4:
        return
    totals = {eq.total: tuple(p for p in leaves if _inside(p, eq.total, len(rows), len(rows[0]))) for eq in equations}
    possible = brute_force_values(leaves, totals, values, result.reasons, max(values[(2, len(rows[0]))], K) + 3)
    for key, options in possible.items():
        if values[key]:  # a zero used as a last-resort complement may show through; zeros are public
            assert len(options) > 1, f"{key} = {values[key]} can be recovered from {result.reasons}"


def _inside(leaf: tuple[int, int], total: tuple[int, int], n_rows: int, n_cols: int) -> bool:
    r, c = total
    return (r == n_rows or leaf[0] == r) and (c == n_cols or leaf[1] == c)


@settings(max_examples=60, deadline=None)
@given(room_tables(columns=(4, 12), rows=(2, 5)))
def test_larger_tables_survive_the_linear_and_interval_attack(rows: list[list[int]]) -> None:
    values, equations = grid(rows)
    result = protect(values, equations, K)
    assert disclosed_cells(values, equations, result.reasons, K) == []
    assert all(result.reasons.get(key) in (Reason.PRIMARY, Reason.GROUP) for key, v in values.items() if 0 < v < K)
    # A zero is never hidden for being small; only, rarely, as the last complement left.
    assert all(result.reasons.get(key) != Reason.PRIMARY for key, v in values.items() if v == 0)
