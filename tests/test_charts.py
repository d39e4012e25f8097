"""The trend chart module alone: scales, gaps for hidden and unknown months, escaping, the table beside."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from jinja2 import Environment
from markupsafe import Markup

from roomlog.reporting.charts import (
    BOTTOM,
    HEIGHT,
    LEFT,
    TOP,
    Point,
    Series,
    figure,
    number,
    runs,
    scale,
    svg,
    trends,
    x_of,
)

SVG = "{http://www.w3.org/2000/svg}"


def months(first: dt.date, values: list[int | str | None]) -> tuple[Point, ...]:
    """Points from ``first`` on: a number, ``None`` (unknown) or ``".."`` (hidden)."""
    out, month = [], first
    for v in values:
        out.append(Point(month, None if v == ".." else v, v == ".."))
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return tuple(out)


def series(values: list[int | str | None], first: dt.date = dt.date(2021, 11, 1), title: str = "Besøg") -> Series:
    return Series("visits.total", title, "Københavns Kommune", months(first, values))


def parse(markup: str) -> ET.Element:
    """Our own SVG as XML (it must be well-formed)."""
    return ET.fromstring(markup)  # noqa: S314 - the module's own output, not untrusted input


def path_values(markup: str) -> list[list[tuple[float, float]]]:
    """The pieces of the line (and lone dots) as chart coordinates, read back from the SVG."""
    root = parse(markup)
    pieces = []
    for el in root.iter():
        if el.tag == SVG + "path":
            pieces.append([tuple(map(float, xy.split(","))) for xy in el.get("d", "")[1:].split(" L")])
        elif el.tag == SVG + "circle":
            pieces.append([(float(el.get("cx")), float(el.get("cy")))])
    return pieces


def axis_top(markup: str) -> int:
    """The highest y-axis tick label, as a number."""
    root = parse(markup)
    labels = [t.text or "" for t in root.iter(SVG + "text") if t.get("text-anchor") == "end"]
    return max(int(label.replace(".", "")) for label in labels)


@pytest.mark.parametrize(
    ("highest", "top", "ticks"),
    [
        (0, 1, [0, 1]),
        (1, 1, [0, 1]),
        (3, 3, [0, 1, 2, 3]),
        (7, 8, [0, 2, 4, 6, 8]),
        (10, 10, [0, 5, 10]),
        (38, 40, [0, 10, 20, 30, 40]),
        (95, 100, [0, 25, 50, 75, 100]),
        (12_345, 15_000, [0, 5_000, 10_000, 15_000]),
    ],
)
def test_scale_is_round_and_covers_the_highest_value(highest: int, top: int, ticks: list[int]) -> None:
    assert scale(highest) == (top, ticks)


def test_scale_always_covers_and_has_few_whole_ticks() -> None:
    for highest in [*range(0, 300), 999, 1001, 4_321, 99_999, 250_001]:
        top, ticks = scale(highest)
        assert top >= highest and ticks[0] == 0 and ticks[-1] == top
        assert 2 <= len(ticks) <= 6 and all(isinstance(t, int) for t in ticks)


def test_hidden_and_unknown_months_are_gaps_never_zeros() -> None:
    s = series([10, 20, "..", 30, None, 40, 50, None])
    assert runs(s.points) == [[0, 1], [3], [5, 6]]
    markup = svg(s, "da", "f")
    pieces = path_values(markup)
    assert [len(p) for p in pieces] == [2, 1, 2]  # two lines and a lone dot; nothing at the gaps
    zero_y = HEIGHT - BOTTOM
    assert all(y < zero_y for piece in pieces for _x, y in piece)
    gaps = [el for el in parse(markup).iter(SVG + "rect") if el.get("class") == "trend-gap"]
    assert len(gaps) == 3  # the hidden month and the two unknown ones are shaded


def test_a_zero_is_drawn_on_the_axis() -> None:
    pieces = path_values(svg(series([0, 8, 0]), "da", "f"))
    assert [round(y, 1) for _x, y in pieces[0]] == [HEIGHT - BOTTOM, TOP, HEIGHT - BOTTOM]


def test_the_table_has_the_same_numbers_as_the_line() -> None:
    values: list[int | str | None] = [1200, 1350, "..", 990, None, 2025, 1800]
    f = figure(series(values), "da")
    top = axis_top(f.svg)
    inner = HEIGHT - TOP - BOTTOM
    drawn = {
        round((x - LEFT) / ((640 - LEFT - 14) / (len(values) - 1))): top * (1 - (y - TOP) / inner)
        for piece in path_values(f.svg)
        for x, y in piece
    }
    cells = [c for row in f.rows for c in row.cells if c]
    assert cells == ["1.200", "1.350", "..", "990", "–", "2.025", "1.800"]
    for i, text in enumerate(cells):
        if text in ("..", "–"):
            assert i not in drawn
        else:
            # coordinates have one decimal: the number comes back to within 0.06 px
            assert drawn[i] == pytest.approx(int(text.replace(".", "")), abs=top * 0.06 / inner)


def test_table_is_years_by_twelve_months_blank_outside_the_chart() -> None:
    f = figure(series([5, 6, 7]), "da")  # 2021-11 .. 2022-01
    assert f.month_headers[:3] == ("jan", "feb", "mar") and f.year_header == "År"
    assert [r.year for r in f.rows] == [2021, 2022]
    assert f.rows[0].cells == ("",) * 10 + ("5", "6")
    assert f.rows[1].cells == ("7",) + ("",) * 11


def test_labels_and_captions_are_escaped() -> None:
    evil = '<script>alert("x")</script>'
    f = figure(Series("visits.total", evil, "Kommune & co", months(dt.date(2022, 1, 1), [1, 2])), "da")
    assert "<script" not in f.svg
    assert not isinstance(f.caption, Markup)  # plain text: the template escapes it
    rendered = Environment(autoescape=True).from_string("<figcaption>{{ f.caption }}</figcaption>{{ f.svg }}")
    assert "&lt;script&gt;" in rendered.render(f=f) and "<script" not in rendered.render(f=f)
    markup = svg(Series("a.b", evil, evil, months(dt.date(2022, 1, 1), [1, 2])), "da", 'x" onload="y')
    assert "<script" not in markup and 'onload="y"' not in markup
    parse(markup)  # still well-formed


def test_no_script_style_or_external_reference() -> None:
    markup = str(figure(series([1, 2, 3, None, 5]), "da").svg)
    assert not re.search(r"<script|<style|style=|href|url\(|<image|<foreignObject", markup)
    root = parse(markup)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "trend-visits-total-caption trend-visits-total-desc"


def test_danish_and_english_number_format() -> None:
    assert number(1234567, "da") == "1.234.567" and number(1234567, "en") == "1,234,567"
    assert number(Decimal(12), "da") == "12"
    f = figure(series([12_000, 15_500]), "da")
    texts = [t.text for t in parse(f.svg).iter(SVG + "text")]
    assert "15.000" in texts or "20.000" in texts
    assert "Fra 2021-11 til 2021-12. Højeste: 15.500 (2021-12)" in f.svg


def test_description_and_caption_say_what_the_chart_shows() -> None:
    f = figure(series([3, "..", 4]), "da")
    assert f.caption == "Besøg pr. måned, 2021-11–2022-01, Københavns Kommune"
    assert "Seneste: 4 (2022-01)" in f.svg
    nothing = figure(series([None, ".."]), "en")
    assert "No published figures in the period." in nothing.svg
    assert path_values(nothing.svg) == []


def test_one_month_is_a_dot_in_the_middle() -> None:
    pieces = path_values(svg(series([8]), "da", "f"))
    assert pieces == [[(x_of(0, 1), TOP)]]


def test_trends_skip_empty_series_and_use_the_language() -> None:
    t = trends([series([1, 2]), Series("referrals.total", "Henvisninger", "x", ())], "en")
    assert t.heading == "Trends by month" and [f.id for f in t.figures] == ["trend-visits-total"]
    assert trends([], "da").heading == "Udvikling pr. måned"


def test_year_labels_do_not_overlap() -> None:
    def years(first: dt.date, count: int) -> list[str]:
        root = parse(svg(series([1] * count, first=first), "da", "f"))
        return [t.text or "" for t in root.iter(SVG + "text") if t.get("text-anchor") == "start"]

    assert years(dt.date(2021, 12, 1), 60) == ["2022", "2023", "2024", "2025", "2026"]  # not 2021 beside 2022
    assert years(dt.date(2021, 4, 1), 60) == ["2021", "2022", "2023", "2024", "2025", "2026"]
    assert years(dt.date(2021, 11, 1), 3) == ["2021", "2022"]  # wide months: room for both
