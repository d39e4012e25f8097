"""The lead's summary PDF reuses a kept layout only for the same document: the printed time is always the
request's, and a kept layout restamped gives the very bytes a fresh render gives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

import roomlog.reports.page
from roomlog.models.codes import Role
from roomlog.web import pdf
from roomlog.web.pdf import forget_layouts, render_pdf
from tests.pdf_read import read_pdf
from tests.support.apps import AuthActions
from tests.support.factories import Factory


def _html(number: int = 41, printed: str = "03.12.2026 03.06", day: str = "2026-12-03", second: str = "50") -> str:
    """A small print document shaped like the summary's: a stamped "Generated" line and footer."""
    return (
        '<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Månedsopgørelse Skyen</title>'
        f'<meta name="dcterms.created" content="{day}T02:06:{second}+00:00"></head><body class="pdf">'
        f'<div class="pdf-footer" role="contentinfo">Skyen · Dannet <span class="pdf-stamp">{day}</span> · '
        'Side <span class="page-no"></span> af <span class="page-count"></span></div>'
        f'<h1>Månedsopgørelse</h1><dl><dt>Dannet</dt><dd><span class="pdf-stamp">{printed}</span></dd></dl>'
        f'<table class="data"><tr><th scope="row">Besøg</th><td class="num">{number}</td></tr></table></body></html>'
    )


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count WeasyPrint layouts (``HTML.render``), with no layout kept before or after."""
    from weasyprint import HTML

    seen: list[int] = []
    render = HTML.render

    def counted(self: HTML, *args: object, **kwargs: object) -> object:
        seen.append(1)
        return render(self, *args, **kwargs)

    monkeypatch.setattr(HTML, "render", counted)
    forget_layouts()
    yield seen
    forget_layouts()


def test_a_kept_layout_with_a_new_printed_time_gives_the_bytes_of_a_fresh_render(
    app: Flask, renders: list[int]
) -> None:
    with app.app_context():
        first = render_pdf(_html(), reuse_layout=True)
        later = _html(printed="24.12.2026 19.47", day="2026-12-24", second="11")
        again = render_pdf(later, reuse_layout=True)
        assert len(renders) == 1, "the same document with a new printed time is not laid out again"
        assert again == render_pdf(later), "restamped: byte for byte what a fresh render gives"
        assert first == render_pdf(_html())
    printed = read_pdf(again)
    assert "24.12.2026 19.47" in printed.text and "Dannet 2026-12-24" in printed.text
    assert "03.12.2026" not in printed.text and "2026-12-03" not in printed.text
    assert printed.created == dt.datetime(2026, 12, 24, 2, 6, 11, tzinfo=dt.UTC)


def test_a_changed_document_or_a_printed_time_of_another_shape_is_laid_out_again(
    app: Flask, renders: list[int]
) -> None:
    with app.app_context():
        render_pdf(_html(41), reuse_layout=True)
        changed = render_pdf(_html(42), reuse_layout=True)
        assert len(renders) == 2
        assert changed == render_pdf(_html(42))
        assert "42" in read_pdf(changed).text
        wider = _html(42, printed="03.12.2026 3.06")  # one character fewer: the line could move
        assert render_pdf(wider, reuse_layout=True) == render_pdf(wider)
        assert len(renders) == 5
        assert render_pdf(_html(42, printed="03.12.2026 4.17"), reuse_layout=True) == render_pdf(
            _html(42, printed="03.12.2026 4.17")
        )
        assert len(renders) == 6, "same shape again: restamped"


def test_kept_layouts_are_few_per_thread(app: Flask, renders: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "LAYOUTS_KEPT", 2)
    with app.app_context():
        for number in (1, 2, 3):
            render_pdf(_html(number), reuse_layout=True)
        assert len(pdf._kept()) == 2
        render_pdf(_html(3), reuse_layout=True)
        render_pdf(_html(1), reuse_layout=True)  # the oldest was let go
    assert len(renders) == 4


def test_the_summary_pdf_is_printed_now_and_shows_a_change_to_the_month(
    make: Factory, client: FlaskClient, auth: AuthActions, renders: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    room = make.room("Skyen", municipality="101", opened_on=make.LONG_OPEN)
    at = dt.datetime(2025, 3, 4, 10, tzinfo=dt.UTC)
    make.consumption(make.visit(room, at, left_at=at + dt.timedelta(hours=1)), room)
    make.user(Role.LEAD, rooms=[room], username="lead")
    auth.login("lead")
    now = [dt.datetime(2025, 4, 2, 10, 15, 7, tzinfo=dt.UTC)]
    monkeypatch.setattr(roomlog.reports.page, "utcnow", lambda: now[0])
    url = f"/reports/{room.id}/2025-03.pdf"
    first = read_pdf(client.get(url).data)
    now[0] = dt.datetime(2025, 4, 3, 11, 16, 8, tzinfo=dt.UTC)
    second = read_pdf(client.get(url).data)
    assert len(renders) == 1, "nothing changed but the time: the layout is reused"
    assert "Dannet 2025-04-02" in first.text and "02.04.2025" in first.text
    assert "Dannet 2025-04-03" in second.text and "03.04.2025" in second.text and "02.04.2025" not in second.text
    assert second.created == now[0]
    make.visit(room, at + dt.timedelta(days=1), left_at=at + dt.timedelta(days=1, hours=1))
    third = client.get(url)
    assert third.status_code == 200 and len(renders) == 2, "a changed month is laid out again"
    assert read_pdf(third.data).text != second.text
