"""The read side of the publication is flat: a page costs the same SQL whatever the length of the history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session

from roomlog.calendar import today_local
from roomlog.extensions import db, publication_cells
from roomlog.models import Publication
from roomlog.models.base import Base
from roomlog.models.codes import Role
from roomlog.services.municipalities import ensure_municipalities
from roomlog.services.tokens import create_token
from tests.support.apps import make_test_config, statements
from tests.support.factories import Factory
from tests.support.worlds import bearer, history, publish

PAGES = (
    "/national/",
    "/national/?period={year}",
    "/national/export.csv?period={year}",
)


def _statements(tmp_path: Path, years: int) -> dict[str, int]:
    """SQL statements per page (first and second request) with ``years`` years of publications."""
    app = create_app_for(tmp_path / f"{years}")
    with app.app_context():
        session = Session(db.engine, expire_on_commit=False)
    make = Factory(session, app)
    today = today_local()
    opened = dt.date(today.year - years, 1, 1)
    room = make.room("Skyen", "101", opened_on=opened)
    make.room("Odense Stue", "461", opened_on=opened)
    history(session, room, f"{opened.year}-03", consumptions_total=120, emergencies_total=4)
    national = make.user(Role.NATIONAL, username="ministeriet")
    token = create_token(session, national).value
    publish(session)
    session.commit()
    assert session.query(Publication).filter(Publication.kind == "year").count() == years
    client = app.test_client()
    client.post("/auth/login", data={"username": "ministeriet", "password": Factory.PASSWORD})
    out: dict[str, int] = {}
    urls = [p.format(year=today.year - 1) for p in PAGES]
    urls.append(f"/api/v1/aggregates?granularity=month&from={today.year - 1}-01&to={today.year - 1}-12")
    urls.append(f"/api/v1/aggregates?granularity=total&from={opened.year}-01&to={today.year - 1}-12")
    for attempt in ("first", "again"):
        for url in urls:
            headers = bearer(token) if url.startswith("/api/") else {}
            with statements(app) as seen:
                assert client.get(url, headers=headers).status_code == 200, url
            out[f"{attempt} {url.split('?')[0]} #{urls.index(url)}"] = len(seen)
    session.close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return out


def create_app_for(folder: Path) -> Flask:
    from roomlog import create_app

    folder.mkdir()
    app = create_app(make_test_config(folder, f"sqlite:///{folder / 'test.sqlite3'}", PROPAGATE_EXCEPTIONS=True))
    with app.app_context():
        Base.metadata.create_all(db.engine)
        ensure_municipalities(db.session)
        db.session.commit()
    return app


def test_pages_and_the_api_read_as_many_statements_for_one_year_of_history_as_for_five(tmp_path: Path) -> None:
    one, five = _statements(tmp_path, 1), _statements(tmp_path, 5)
    assert one == five


def test_a_second_read_of_the_same_publications_reads_no_cells_again(app: Flask, make: Factory, dbs: Session) -> None:
    room = make.room("Skyen", "101", opened_on=dt.date(today_local().year - 1, 1, 1))
    for month in range(1, 13):  # a whole year of history: a year with a month without data is unknown
        history(dbs, room, f"{today_local().year - 1}-{month:02d}", consumptions_total=10)
    publish(dbs)
    dbs.commit()
    make.user(Role.NATIONAL, username="ministeriet")
    client = app.test_client()
    client.post("/auth/login", data={"username": "ministeriet", "password": Factory.PASSWORD})
    url = f"/national/?period={today_local().year - 1}"
    with statements(app) as first:
        body = client.get(url).data
    with statements(app) as again:
        assert client.get(url).data.replace(b"\n", b"") != b""
    assert any("published_cells" in s for s, _ in first)
    assert not any("published_cells" in s for s, _ in again)
    assert b"120" in body
    with app.app_context():
        assert len(publication_cells()._cells) > 0
