"""The annual reports' workbooks, written by the shared long-format writer (:mod:`roomlog.reporting.exports`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from roomlog.annual.content import OTHER_CODE, OTHER_LABEL, Content
from roomlog.annual.national import NationalReport
from roomlog.annual.report import AnnualReport
from roomlog.reporting.exports import DANISH, Dialect, Sheet, metadata, number, xlsx_bytes
from roomlog.reporting.state_labels import danish
from roomlog.reporting.tidy import MEANINGS, Figure, Meaning, figures

#: The annual report shows sniffing, oral and other routes as one line when none of them is hidden.
OTHER = Meaning(
    OTHER_CODE,
    f"Indtagelsesmåde: {OTHER_LABEL}",
    "Route: other (sniffing, oral, other)",
    "count",
    "Summen af stofindtagelser ved sniffning, oralt og på anden måde; vises samlet, når ingen af dem er skjult.",
    "Consumptions by sniffing, orally or otherwise, summed; shown together when none of them is hidden.",
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
    missing = ", ".join(m.strftime("%Y-%m") for m in content.missing) or ("none" if d.english else "ingen")
    yes, no = ("yes", "no") if d.english else ("ja", "nej")
    return [
        *extra,
        ("year_finished" if d.english else "Året er afsluttet", no if content.unfinished else yes),
        ("months_not_published" if d.english else "Måneder ikke offentliggjort endnu", missing),
        ("same_period_last_year" if d.english else "Sammenlignet med", content.last_year.label),
        ("since_opening" if d.english else "Siden åbning", f"{content.since.label} ({content.coverage})"),
        ("hidden_figures" if d.english else "Skjulte tal", str(len(content.hidden()))),
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
        Sheet("Indikatorer", ["Indikator", "Kode", *(r.name for r in report.rooms), f"{m.official_name} i alt"], wide),
        Sheet(
            "Rum",
            [
                "Rum",
                "Driftsherre",
                "Driftsform",
                "Model",
                "Injektionspladser",
                "Rygepladser",
                "Åbningstider",
                "Tilladelse",
                "Tilladelsesdato",
                "Åbnet",
            ],
            rooms,
        ),
        Sheet(
            "Måneder",
            ["Rum", *(month.strftime("%Y-%m") for month in report.months)],
            [[r.name, *(danish(s) for s in report.states[r.id])] for r in report.rooms],
        ),
    ]
    yes, no = ("yes", "no") if d.english else ("ja", "nej")
    notes = _notes(
        report.content,
        d,
        [
            ("municipality" if d.english else "Kommune", f"{m.official_name} ({m.code})"),
            ("published" if d.english else "Offentliggjort", yes if report.published else no),
            ("revised" if d.english else "Revideret", yes if report.revised else no),
        ],
    )
    meta = metadata(d, period=report.content.covered, threshold=report.threshold, version=version,
                    generated=report.generated_at, notes=notes)  # fmt: skip
    return xlsx_bytes(rows, meta, d, extra)


def national_xlsx(report: NationalReport, version: str, d: Dialect = DANISH) -> bytes:
    """The national annual report: Data (long format), Definitioner, Metadata."""
    names = {m.code: m.official_name for m in report.municipalities}
    rows = content_figures(report.content, names)
    title = ("report" if d.english else "Rapport", f"Årsafrapportering {report.year}, Hele landet")
    notes = _notes(report.content, d, [title])
    meta = metadata(
        d, period=report.content.covered, threshold=report.threshold, version=version,
        generated=report.generated_at, notes=notes,
    )  # fmt: skip
    return xlsx_bytes(rows, meta, d)
