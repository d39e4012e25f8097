"""The shared output layer: one XLSX writer, one source of month-state labels, one rate check, one value macro."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from flask import Flask, render_template_string
from openpyxl import load_workbook

from roomlog.funding.queries import Overview
from roomlog.pool.workbook import KR_FORMAT, overview_xlsx
from roomlog.reporting.exports import Sheet, workbook_bytes
from roomlog.reporting.indicators import INDICATORS, Kind, is_rate
from roomlog.reporting.publication import Cell
from roomlog.reporting.state_labels import MONTH_STATES, danish, month_state


def test_the_writer_formats_each_column_by_the_type_of_its_values() -> None:
    body = workbook_bytes(
        [
            Sheet("Første", ["Navn", "Beløb", "Rate"], [["a", 1500, 1.5], ["b", "–", 2]], {"B": (int, KR_FORMAT)}),
            Sheet("Anden", ["Felt", "Værdi"], [["x", 2.25]], {"B": (float, "0.00")}),
        ]
    )
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Første", "Anden"]
    first = book["Første"]
    assert first["B2"].number_format == KR_FORMAT
    assert first["B3"].number_format == "General"  # not a number: left alone
    assert first["C2"].number_format == "General"  # no format asked for this column
    assert book["Anden"]["B2"].number_format == "0.00"
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref == ws.dimensions and ws["A1"].font.bold


def test_the_pool_workbook_is_written_by_the_shared_writer() -> None:
    sums = {"Aalborg": {"granted": 7, "scheduled": 0, "paid": 7}}
    view = Overview(3_000_000, 2_000_000, 500_000, 250_000, [], sums, [])
    book = load_workbook(io.BytesIO(overview_xlsx(view, "da")))
    assert book.sheetnames == ["Pulje", "Rum", "Kommuner", "Afventer", "Metadata"]
    assert [c.value for c in book["Pulje"]["B"][1:]] == [3_000_000, 2_000_000, 500_000, 250_000, 1_000_000]
    assert {c.number_format for c in book["Pulje"]["B"][1:]} == {KR_FORMAT}
    assert [c.value for c in book["Kommuner"][2]] == ["Aalborg", 7, 0, 7]
    assert book["Kommuner"]["B2"].number_format == KR_FORMAT
    assert book["Metadata"]["A1"].value == "Felt" and book["Metadata"]["A2"].value == "Kilde"
    english = load_workbook(io.BytesIO(overview_xlsx(view, "en")))
    assert english.sheetnames == ["Pool", "Rooms", "Municipalities", "Awaiting decision", "Metadata"]


def test_one_table_holds_every_month_state_label() -> None:
    assert set(MONTH_STATES) == {"open", "approved", "accepted", "locked", "history", "none"}
    assert danish("history") == "historik (godkendt)" and month_state("history").letter == "H"
    assert month_state("open").msgid == "awaiting approval"
    assert month_state("something new").danish == "something new"  # a new state flows through as itself
    letters = [label.letter for state, label in MONTH_STATES.items() if state != "none"]
    assert len(set(letters)) == len(letters)


def test_the_rate_check_follows_the_indicator_definitions() -> None:
    assert {i.code for i in INDICATORS if is_rate(i.code)} == {i.code for i in INDICATORS if i.kind == Kind.RATE}
    assert is_rate("emergencies.per_1000_consumptions")
    assert not is_rate("consumptions.total") and not is_rate("consumptions.route.sniff+oral+other")


def _cell(indicator: str, value: Decimal | int) -> Cell:
    return Cell("101", 1, "Rum A", "2024", indicator, value, False, "approved")


def test_the_value_macro_shows_a_rate_with_two_decimals_and_a_count_with_none(app: Flask) -> None:
    page = '{% from "aggregates/_macros.html" import value with context %}{{ value(a) }}|{{ value(b) }}'
    with app.test_request_context("/"):
        html = render_template_string(
            page, a=_cell("emergencies.per_1000_consumptions", Decimal("1.5")), b=_cell("consumptions.total", 1234)
        )
    rate, count = html.split("|")
    assert re.fullmatch(r"1[.,]50", rate)
    assert re.fullmatch(r"1[.,]234", count)
