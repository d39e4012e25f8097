"""The annual reports' workbooks, written by the shared long-format writer (:mod:`roomlog.reporting.exports`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from roomlog.annual.content import OTHER_CODE, Content
from roomlog.annual.national import NationalReport
from roomlog.annual.report import AnnualReport
from roomlog.messages import C_, both, in_danish, pick
from roomlog.reporting.exports import DANISH, Dialect, Sheet, metadata, number, xlsx_bytes
from roomlog.reporting.state_labels import danish
from roomlog.reporting.tidy import MEANINGS, NATION_NAME, Figure, Meaning, figures, municipality_total

#: The annual report shows sniffing, oral and other routes as one line when none of them is hidden.
OTHER = Meaning(
    OTHER_CODE,
    *both(C_("annual workbook", "Route: other (sniffing, oral, other)")),
    "count",
    *both(
        C_(
            "annual workbook",
            "Consumptions by sniffing, orally or otherwise, summed; shown together when none of them is hidden.",
        )
    ),
)
ANNUAL_MEANINGS: Mapping[str, Meaning] = {**MEANINGS, OTHER_CODE: OTHER}


def content_figures(content: Content, names: Mapping[str, str]) -> list[Figure]:
    """Every block's figures: the year (or its published months), the same period last year, since opening,
    and the change on last year in per cent (empty where either year is hidden or not known)."""
    out: list[Figure] = []
    for block in content.blocks:
        for attr, window, role in (
            ("now", content.window, "period"),
            ("before", content.last_year, "last_year"),
            ("since", content.since, "since_opening"),
        ):
            cells = [getattr(line, attr) for line in block.lines]
            out += figures(cells, window, role, names, ANNUAL_MEANINGS)
        now = figures([line.now for line in block.lines], content.window, "period", names, ANNUAL_MEANINGS)
        out += [
            replace(f, role="change", value=line.change, hidden=False, unit="percent")
            for f, line in zip(now, block.lines, strict=True)
        ]
    return out


def _notes(content: Content, d: Dialect, extra: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    missing = ", ".join(m.strftime("%Y-%m") for m in content.missing) or (
        pick(d.english, C_("annual metadata", "none"))
    )
    yes, no = (pick(d.english, C_("annual metadata", "yes")), pick(d.english, C_("annual metadata", "no")))
    return [
        *extra,
        (pick(d.english, C_("annual metadata", "year_finished")), no if content.unfinished else yes),
        (pick(d.english, C_("annual metadata", "months_not_published")), missing),
        (pick(d.english, C_("annual metadata", "same_period_last_year")), content.last_year.label),
        (pick(d.english, C_("annual metadata", "since_opening")), f"{content.since.label} ({content.coverage})"),
        (pick(d.english, C_("annual metadata", "hidden_figures")), str(len(content.hidden()))),
    ]


def xlsx(report: AnnualReport, version: str, d: Dialect = DANISH) -> bytes:
    """The municipal annual report: Data (long format), Indikatorer, Rum, Måneder, Definitioner, Metadata."""
    m = report.municipality
    rows = content_figures(report.content, {m.code: m.official_name})
    wide = [
        [i.label_da, i.code, *(".." if c.suppressed else number(c.value) for c in cells)] for i, cells in report.rows
    ]
    rooms = [
        [r.name, r.operator_name, r.operator_type.label_da, r.model.label_da, r.places_injection, r.places_smoking,
         r.opening_hours, r.permit_status.label_da, r.permit_date, r.opened_on]
        for r in report.rooms
    ]  # fmt: skip
    extra = [
        Sheet(
            in_danish(C_("annual workbook", "Indicators")),
            [
                in_danish(C_("annual workbook", "Indicator")),
                in_danish(C_("annual workbook", "Code")),
                *(r.name for r in report.rooms),
                municipality_total(m.official_name, english=False),
            ],
            wide,
        ),
        Sheet(
            in_danish(C_("annual workbook", "Rooms")),
            [
                in_danish(C_("annual workbook", "Room")),
                in_danish(C_("annual workbook", "Operator")),
                in_danish(C_("annual workbook", "Operator type")),
                in_danish(C_("annual workbook", "Model")),
                in_danish(C_("annual workbook", "Injection places")),
                in_danish(C_("annual workbook", "Smoking places")),
                in_danish(C_("annual workbook", "Opening hours")),
                in_danish(C_("annual workbook", "Permit")),
                in_danish(C_("annual workbook", "Permit date")),
                in_danish(C_("annual workbook", "Opened")),
            ],
            rooms,
        ),
        Sheet(
            in_danish(C_("annual workbook", "Months")),
            [in_danish(C_("annual workbook", "Room")), *(month.strftime("%Y-%m") for month in report.months)],
            [[r.name, *(danish(s) for s in report.states[r.id])] for r in report.rooms],
        ),
    ]
    yes, no = (pick(d.english, C_("annual metadata", "yes")), pick(d.english, C_("annual metadata", "no")))
    notes = _notes(
        report.content,
        d,
        [
            (pick(d.english, C_("annual metadata", "municipality")), f"{m.official_name} ({m.code})"),
            (pick(d.english, C_("annual metadata", "published")), yes if report.published else no),
            (pick(d.english, C_("annual metadata", "revised")), yes if report.revised else no),
        ],
    )
    meta = metadata(d, period=report.content.covered, threshold=report.threshold, version=version,
                    generated=report.generated_at, notes=notes)  # fmt: skip
    return xlsx_bytes(rows, meta, d, extra)


def national_xlsx(report: NationalReport, version: str, d: Dialect = DANISH) -> bytes:
    """The national annual report: Data (long format), Definitioner, Metadata."""
    names = {m.code: m.official_name for m in report.municipalities}
    rows = content_figures(report.content, names)
    title = (
        pick(d.english, C_("annual metadata", "report")),
        in_danish(C_("annual workbook", "Annual report %(year)s, %(nation)s"), year=report.year, nation=NATION_NAME[0]),
    )
    notes = _notes(report.content, d, [title])
    meta = metadata(
        d, period=report.content.covered, threshold=report.threshold, version=version,
        generated=report.generated_at, notes=notes,
    )  # fmt: skip
    return xlsx_bytes(rows, meta, d)
