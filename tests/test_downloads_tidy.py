"""Every download in the tidy long format: dialects, Frictionless descriptors, pandas and openpyxl read-backs.

pandas and Frictionless are imported by the tests that use them, not with the module: every pytest-xdist process
collects every module, and importing them (~2–3 CPU-s) held up the start of the suite in each process, though
only the one that runs this module reads a download with them.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from roomlog.reporting.exports import COLUMNS, XLSX
from roomlog.reporting.tidy import MEANINGS
from tests.support.apps import AuthActions
from tests.support.factories import Factory
from tests.support.worlds import World, bearer, build_world

DA = [c[1] for c in COLUMNS]
EN = [c[2] for c in COLUMNS]
#: (login, page URL without extension); the API is checked separately with a token.
PAGES = [("kbh", "/municipality/export", "period=2022"), ("ministeriet", "/national/export", "period=2022")]


@pytest.fixture
def world(make: Factory, dbs: Session) -> World:
    return build_world(make, dbs)


def _validate(tmp_path: Path, descriptor: dict, files: dict[str, bytes]) -> None:
    """Write the descriptor and its files side by side, as an analyst saves them, and validate."""
    from frictionless import Package

    for resource in descriptor["resources"]:
        if resource["path"] in files:
            (tmp_path / resource["path"]).write_bytes(files[resource["path"]])
    descriptor = {**descriptor, "resources": [r for r in descriptor["resources"] if r["path"] in files]}
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def _names(descriptor: dict) -> tuple[str, str]:
    csv_name, xlsx_name = (r["path"] for r in descriptor["resources"])
    return csv_name, xlsx_name


def test_labels_are_unique_in_both_languages() -> None:
    for english in (False, True):
        labels = Counter(m.label(english) for m in MEANINGS.values())
        assert max(labels.values()) == 1
    assert MEANINGS["referrals.target.other"].label_da == "Henvist til: andet"
    assert MEANINGS["emergencies.per_1000_consumptions"].unit_text(False) == "pr. 1.000"


@pytest.mark.parametrize(("login", "url", "query"), PAGES)
@pytest.mark.parametrize("dialect", ["danish", "international"])
def test_page_downloads_validate_against_their_descriptor(
    world: World, client: FlaskClient, auth: AuthActions, tmp_path: Path, login: str, url: str, query: str, dialect: str
) -> None:
    auth.login(login)
    q = f"?{query}&dialect={dialect}"
    descriptor = client.get(f"{url}.datapackage.json{q}").get_json()
    csv_body = client.get(f"{url}.csv{q}")
    xlsx_body = client.get(f"{url}.xlsx{q}")
    assert csv_body.status_code == xlsx_body.status_code == 200
    csv_name, xlsx_name = _names(descriptor)
    assert csv_name in csv_body.headers["Content-Disposition"] and xlsx_name in xlsx_body.headers["Content-Disposition"]
    assert csv_body.data.startswith(b"\xef\xbb\xbf") == (dialect == "danish")
    _validate(tmp_path, descriptor, {csv_name: csv_body.data, xlsx_name: xlsx_body.data})


def test_danish_csv_reads_in_pandas_with_numbers_text_codes_and_no_merged_labels(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    import pandas as pd

    auth.login("ministeriet")
    body = client.get("/national/export.csv?period=2022").data
    frame = pd.read_csv(io.BytesIO(body), sep=";", decimal=",", encoding="utf-8-sig")
    assert list(frame.columns) == DA
    assert pd.api.types.is_numeric_dtype(frame["Værdi"])
    rate = frame[frame["Indikator"] == "emergencies.per_1000_consumptions"]["Værdi"].dropna()
    assert len(rate) and all(isinstance(v, float) for v in rate)
    typed = pd.read_csv(
        io.BytesIO(body), sep=";", decimal=",", encoding="utf-8-sig", dtype={"Kommunekode": str, "Rum-id": str}
    )
    assert set(typed["Kommunekode"].dropna()) == {"101", "461"}
    assert set(frame["Niveau"]) == {"rum", "kommune", "land"}
    assert {"Københavns Kommune i alt", "Odense Kommune i alt", "Hele landet"} <= set(frame["Navn"])
    assert set(frame["Rolle"]) == {"perioden", "samme periode sidste år", "siden åbning"}
    assert set(frame[frame["Rolle"] == "perioden"]["Periodetype"]) == {"år"}
    assert set(frame[frame["Rolle"] == "siden åbning"]["Periodetype"]) == {"siden åbning"}
    hidden = frame[frame["Skjult"] == ".."]
    assert len(hidden) and hidden["Værdi"].isna().all()
    one = frame[(frame["Rolle"] == "perioden") & (frame["Niveau"] == "land")]
    wide = one.pivot(index="Navn", columns="Indikatornavn", values="Værdi")
    assert wide.shape[1] == one["Indikator"].nunique() == len(MEANINGS)
    assert one.groupby("Indikatornavn")["Indikator"].nunique().max() == 1


def test_international_csv_reads_with_pandas_defaults(world: World, client: FlaskClient, auth: AuthActions) -> None:
    import pandas as pd

    auth.login("kbh")
    frame = pd.read_csv(io.BytesIO(client.get("/municipality/export.csv?period=2022&dialect=international").data))
    assert list(frame.columns) == EN
    assert pd.api.types.is_numeric_dtype(frame["value"])
    assert set(frame["level"]) == {"room", "municipality"}
    assert "Københavns Kommune total" in set(frame["name"])


def test_bad_dialect_is_refused_in_danish(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login("kbh")
    response = client.get("/municipality/export.csv?dialect=excel")
    assert response.status_code == 400
    assert "dialect skal være" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("login", "url"), [("kbh", "/municipality/export.xlsx"), ("ministeriet", "/national/export.xlsx")]
)
def test_page_workbooks_are_clean_tables(
    world: World, client: FlaskClient, auth: AuthActions, login: str, url: str
) -> None:
    import pandas as pd

    auth.login(login)
    body = client.get(f"{url}?period=2022").data
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Data", "Definitioner", "Metadata"]
    data = book["Data"]
    assert [c.value for c in data[1]] == DA
    assert data.freeze_panes == "A2" and data.auto_filter.ref == data.dimensions
    assert data.column_dimensions["J"].width > 10
    values = [r[11] for r in data.iter_rows(min_row=2, values_only=True)]
    assert all(v is None or isinstance(v, int | float) for v in values)
    frame = pd.read_excel(io.BytesIO(body), sheet_name="Data", dtype={"Kommunekode": str})
    assert frame["Indikator"].notna().all() and frame["Periodetype"].notna().all()  # no junk rows below
    assert len(frame) == data.max_row - 1
    definitions = pd.read_excel(io.BytesIO(body), sheet_name="Definitioner")
    assert list(definitions.columns) == ["Kode", "Indikatornavn", "Enhed", "Definition"]
    assert set(definitions["Kode"]) == set(frame["Indikator"]) and definitions["Definition"].notna().all()
    meta = pd.read_excel(io.BytesIO(body), sheet_name="Metadata")
    assert list(meta.columns) == ["Felt", "Værdi"]
    fields = dict(zip(meta["Felt"], meta["Værdi"], strict=True))
    assert {"Kilde", "Periode", "Dannet", "Publikationsversion", "Diskretioneringsgrænse (k)", "Dialekt"} <= set(fields)
    assert str(fields["Periode"]) == "2022" and fields["Publikationsversion"].startswith("2022 v")


def test_api_csv_negotiates_and_validates(world: World, client: FlaskClient, tmp_path: Path) -> None:
    import pandas as pd

    url = "/api/v1/aggregates?from=2022-01&to=2022-12&granularity=quarter"
    json_body = client.get(url + "&limit=10000", headers=bearer(world.kbh_token)).get_json()
    assert json_body["total"] == len(json_body["rows"])  # one JSON page holds the whole table here
    as_csv = client.get(url, headers={**bearer(world.kbh_token), "Accept": "text/csv"})
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv" and as_csv.data.startswith(b"\xef\xbb\xbf")
    as_xlsx = client.get(url, headers={**bearer(world.kbh_token), "Accept": XLSX})
    assert as_xlsx.mimetype == XLSX
    plain = client.get(url, headers={**bearer(world.kbh_token), "Accept": "*/*"})
    assert plain.mimetype == "application/json" and "Accept" in plain.headers["Vary"]
    assert "Accept" in as_csv.headers["Vary"]
    frame = pd.read_csv(io.BytesIO(as_csv.data), sep=";", decimal=",", encoding="utf-8-sig")
    assert len(frame) == len(json_body["rows"])
    assert set(frame["Periodetype"]) == {"kvartal"} and set(frame["Rolle"]) == {"perioden"}
    shown = {
        (r["Første måned"], r["Navn"], r["Indikator"]): None if pd.isna(r["Værdi"]) else r["Værdi"]
        for _, r in frame.iterrows()
    }
    for row in json_body["rows"]:
        name = row["room"] or "Københavns Kommune i alt"
        first = {"1": "01", "2": "04", "3": "07", "4": "10"}[row["period"][-1]]
        assert shown[(f"2022-{first}", name, row["indicator"])] == row["value"]
    for dialect in ("danish", "international"):
        descriptor = client.get(
            f"/api/v1/aggregates.datapackage.json?dialect={dialect}", headers=bearer(world.kbh_token)
        ).get_json()
        csv_name, xlsx_name = _names(descriptor)
        files = {
            csv_name: client.get(f"{url}&format=csv&dialect={dialect}", headers=bearer(world.kbh_token)).data,
            xlsx_name: client.get(f"{url}&format=xlsx&dialect={dialect}", headers=bearer(world.kbh_token)).data,
        }
        (tmp_path / dialect).mkdir()
        _validate(tmp_path / dialect, descriptor, files)
    assert client.get("/api/v1/aggregates.datapackage.json").status_code == 401
    bad = client.get(f"{url}&format=csv&dialect=excel", headers=bearer(world.kbh_token))
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "dialect"


def test_openapi_lists_the_file_media_types_and_the_descriptor(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    content = doc["paths"]["/aggregates"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv", XLSX} <= set(content)
    assert "/aggregates.datapackage.json" in doc["paths"]
    assert any(p["name"] == "dialect" for p in doc["paths"]["/aggregates"]["get"]["parameters"])


@pytest.mark.parametrize(
    ("login", "url"), [("kbh", "/annual/101/2022.xlsx"), ("ministeriet", "/annual/national/2022.xlsx")]
)
def test_annual_workbooks_use_the_same_long_format(
    world: World, client: FlaskClient, auth: AuthActions, login: str, url: str
) -> None:
    import pandas as pd

    auth.login(login)
    body = client.get(url).data
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames[0] == "Data" and book.sheetnames[-2:] == ["Definitioner", "Metadata"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    frame = pd.read_excel(io.BytesIO(body), sheet_name="Data", dtype={"Kommunekode": str})
    assert list(frame.columns) == DA and frame["Indikator"].notna().all()
    assert {"perioden", "samme periode sidste år", "siden åbning"} <= set(frame["Rolle"])
    change = frame[frame["Rolle"] == "ændring fra samme periode sidste år"]
    assert len(change) and set(change["Enhed"]) == {"procent"}
    assert frame.groupby("Indikatornavn")["Indikator"].nunique().max() == 1
    assert "Københavns Kommune i alt" in set(frame["Navn"])
    meta = pd.read_excel(io.BytesIO(body), sheet_name="Metadata")
    assert list(meta.columns) == ["Felt", "Værdi"] and "Publikationsversion" in set(meta["Felt"])
    english = load_workbook(io.BytesIO(client.get(f"{url}?dialect=international").data))
    assert [c.value for c in english["Data"][1]] == EN and "Definitions" in english.sheetnames
    assert client.get(f"{url}?dialect=excel").status_code == 400
