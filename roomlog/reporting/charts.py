"""Trend charts of headline indicators by month: inline SVG and the table beside it. Pure functions.

Written by hand rather than with a charting library: the page's CSP (``style-src 'self'``)
refuses ``<style>`` elements and ``style=`` attributes inside inline SVG, and the libraries
that fit (pygal, matplotlib's SVG backend) style their output exactly that way, and pygal
adds a script. Here every drawing property is an SVG presentation attribute (allowed by the
CSP, rendered by WeasyPrint, black on white when printed), and every text is escaped.

A month whose figure is hidden (``..``) or has no number (unknown, not published, not
applicable) is a gap in the line, never a zero; the table shows ``..`` or ``–`` for it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal
from markupsafe import Markup, escape

from roomlog.messages import N_, month_name, translate

#: The charts: indicator code and English title (the indicator's label unless it needs context).
CHARTS: tuple[tuple[str, str], ...] = (
    ("visits.total", N_("Visits")),
    ("consumptions.total", N_("Consumptions")),
    ("emergencies.acute_treatments", N_("Acute treatments for overdose and severe poisoning")),
    ("emergencies.naloxone", N_("Emergencies treated with naloxone")),
    ("referrals.total", N_("Referrals")),
)
#: The few words around the charts (msgids; the annual report is always Danish).
TEXTS = {
    "heading": N_("Trends by month"),
    "caption": N_("{title} per month, {first}–{last}, {unit}"),
    "table": N_("The figures behind the chart"),
    "year": N_("Year"),
    "gaps": N_(
        "Breaks in the line and grey bands: the figure is suppressed (..) or not known or not published (–). "
        "The chart ends with the latest published month."
    ),
    "desc": N_("From {first} to {last}. Highest: {top} ({top_month}). Latest: {latest} ({latest_month})."),
    "no_data": N_("No published figures in the period."),
    "national": N_("the whole country"),
}


def text(key: str, lang: str) -> str:
    """One of the chart words in ``lang`` (Danish unless English is asked for)."""
    return translate("en" if lang == "en" else "da", TEXTS[key])


def month_names(lang: str) -> tuple[str, ...]:
    """The twelve months' short names (CLDR, without the abbreviation's full stop): jan … dec."""
    return tuple(month_name(m, lang, "abbreviated") for m in range(1, 13))


WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 58, 14, 12, 30
INK, GRID, GAP = "#1b1f24", "#8c959f", "#e4e7eb"


@dataclass(frozen=True)
class Point:
    """One month: its number, or ``None`` (a gap) with ``suppressed`` telling ``..`` from ``–``."""

    month: dt.date
    value: int | Decimal | None
    suppressed: bool = False


@dataclass(frozen=True)
class Series:
    """One indicator of one unit (a municipality or the nation), month by month without holes in time."""

    code: str
    title: str
    unit: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class YearRow:
    """One row of the table beside a chart: a year and its twelve months (``""`` outside the chart)."""

    year: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    """Everything the template shows for one chart."""

    id: str
    caption: str
    svg: Markup
    table_caption: str
    year_header: str
    month_headers: tuple[str, ...]
    rows: tuple[YearRow, ...]


def number(value: int | Decimal | float, lang: str) -> str:
    """A whole number the Danish way (``1.234``) or the English way (``1,234``)."""
    return format_decimal(value, format="#,##0", locale="en" if lang == "en" else "da")


def shown(point: Point, lang: str) -> str:
    """The table's text of one month: the number, ``..`` when hidden, ``–`` when there is none."""
    if point.suppressed:
        return ".."
    return "–" if point.value is None else number(point.value, lang)


def scale(highest: float) -> tuple[int, list[int]]:
    """A round top of the y axis at or above ``highest`` and its whole-number ticks (about four steps)."""
    if highest <= 0:
        return 1, [0, 1]
    raw = highest / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(
        int(f * magnitude) for f in (1, 2, 2.5, 5, 10) if f * magnitude >= raw and float(f * magnitude).is_integer()
    )
    top = math.ceil(highest / step) * step
    return top, list(range(0, top + 1, step))


def x_of(index: int, count: int) -> float:
    """The x coordinate of month ``index`` of ``count``."""
    inner = WIDTH - LEFT - RIGHT
    return LEFT + inner / 2 if count == 1 else LEFT + inner * index / (count - 1)


def y_of(value: float, top: int) -> float:
    """The y coordinate of ``value`` on an axis from 0 to ``top``."""
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def runs(points: Sequence[Point]) -> list[list[int]]:
    """The indexes of consecutive months with a number: each run is one piece of the line."""
    out: list[list[int]] = []
    for i, p in enumerate(points):
        if p.value is None or p.suppressed:
            continue
        if out and out[-1][-1] == i - 1:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _f(v: float) -> str:
    return f"{v:.1f}"


def svg(series: Series, lang: str, fid: str) -> Markup:
    """The chart of one series as inline SVG (no script, no style, no external reference), labelled by
    the figure's caption (``<fid>-caption``, in the template) and its own description."""
    pts = series.points
    top, ticks = scale(max((float(p.value) for p in pts if p.value is not None and not p.suppressed), default=0))
    out = [
        f'<svg class="trend-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{escape(fid)}-caption {escape(fid)}-desc" '
        f'font-family="DejaVu Sans, sans-serif" font-size="11" fill="{INK}">',
        f'<desc id="{escape(fid)}-desc">{escape(description(series, lang))}</desc>',
        *_gap_bands(pts),
        *_y_axis(ticks, top, lang),
        *_x_axis(pts),
        *_line(pts, top),
        "</svg>",
    ]
    return Markup("".join(out))  # noqa: S704  # nosec B704 - every text and attribute value here is escaped or a number


def _gap_bands(pts: Sequence[Point]) -> list[str]:
    """A grey band behind each month without a visible number."""
    n, half = len(pts), (WIDTH - LEFT - RIGHT) / max(len(pts) - 1, 1) / 2
    out = []
    for i, p in enumerate(pts):
        if p.value is None or p.suppressed:
            left, right = max(LEFT, x_of(i, n) - half), min(WIDTH - RIGHT, x_of(i, n) + half)
            if n == 1:
                left, right = LEFT, WIDTH - RIGHT
            out.append(
                f'<rect class="trend-gap" x="{_f(left)}" y="{TOP}" width="{_f(right - left)}" '
                f'height="{HEIGHT - TOP - BOTTOM}" fill="{GAP}"/>'
            )
    return out


def _y_axis(ticks: Sequence[int], top: int, lang: str) -> list[str]:
    """Horizontal grid lines with their numbers, and the zero line."""
    out = []
    for t in ticks:
        y = _f(y_of(t, top))
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" stroke="{GRID}" stroke-width="0.5"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y}" dy="4" text-anchor="end">{escape(number(t, lang))}</text>')
    zero = _f(y_of(0, top))
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero}" y2="{zero}" stroke="{INK}" stroke-width="1"/>')
    return out


def _x_axis(pts: Sequence[Point]) -> list[str]:
    """A dashed line and the year at every January, and at the first month when the next year leaves room."""
    n, step = len(pts), (WIDTH - LEFT - RIGHT) / max(len(pts) - 1, 1)
    januaries = [i for i, p in enumerate(pts) if p.month.month == 1]
    first_label = not januaries or januaries[0] == 0 or januaries[0] * step >= 34
    out = []
    for i, p in enumerate(pts):
        if p.month.month == 1 or (i == 0 and first_label):
            x = _f(x_of(i, n))
            out.append(
                f'<line x1="{x}" x2="{x}" y1="{TOP}" y2="{HEIGHT - BOTTOM + 4}" stroke="{GRID}" '
                f'stroke-width="0.5" stroke-dasharray="2 2"/>'
            )
            out.append(f'<text x="{x}" y="{HEIGHT - BOTTOM + 16}" text-anchor="start">{p.month.year}</text>')
    return out


def _line(pts: Sequence[Point], top: int) -> list[str]:
    """One path per run of months with a number; a month alone between gaps is a dot, or it would not show."""
    out = []
    for run in runs(pts):
        coords = [(_f(x_of(i, len(pts))), _f(y_of(float(pts[i].value), top))) for i in run]  # type: ignore[arg-type]  # runs() holds months with a value
        if len(run) == 1:
            out.append(f'<circle class="trend-dot" cx="{coords[0][0]}" cy="{coords[0][1]}" r="2.5" fill="{INK}"/>')
        else:
            out.append(
                f'<path class="trend-line" d="M{" L".join(f"{x},{y}" for x, y in coords)}" fill="none" '
                f'stroke="{INK}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>'
            )
    return out


def table_rows(points: Sequence[Point], lang: str) -> tuple[YearRow, ...]:
    """The chart's months as years × twelve months, with the same numbers as the line."""
    by_month = {p.month: shown(p, lang) for p in points}
    years = sorted({p.month.year for p in points})
    return tuple(YearRow(y, tuple(by_month.get(dt.date(y, m, 1), "") for m in range(1, 13))) for y in years)


def description(series: Series, lang: str) -> str:
    """A sentence for screen readers: the range, the highest and the latest visible month."""
    shown = [(p.month, p.value) for p in series.points if p.value is not None and not p.suppressed]
    if not series.points or not shown:
        return text("no_data", lang)
    top_month, top = max(shown, key=lambda month_value: month_value[1])
    latest_month, latest = shown[-1]
    return text("desc", lang).format(
        first=_month(series.points[0].month),
        last=_month(series.points[-1].month),
        top=number(top, lang),
        top_month=_month(top_month),
        latest=number(latest, lang),
        latest_month=_month(latest_month),
    )


def _month(month: dt.date) -> str:
    return f"{month.year}-{month.month:02d}"


def figure(series: Series, lang: str) -> Figure:
    """The chart, its caption and its table for one series."""
    lang = "en" if lang == "en" else "da"
    fid = "trend-" + "".join(c if c.isalnum() else "-" for c in series.code)
    first, last = series.points[0].month, series.points[-1].month
    caption = text("caption", lang).format(title=series.title, first=_month(first), last=_month(last), unit=series.unit)
    body = svg(series, lang, fid)
    return Figure(
        fid,
        caption,
        body,
        text("table", lang),
        text("year", lang),
        month_names(lang),
        table_rows(series.points, lang),
    )


@dataclass(frozen=True)
class Trends:
    """The charts of one page: a heading, the note on gaps and one figure per indicator."""

    heading: str
    note: str
    figures: tuple[Figure, ...]


def trends(series: Sequence[Series], lang: str) -> Trends:
    """The figures of ``series`` with the heading and note in ``lang``."""
    return Trends(text("heading", lang), text("gaps", lang), tuple(figure(s, lang) for s in series if s.points))


def national_title(lang: str) -> str:
    """The name of the national total in a caption."""
    return text("national", lang)
