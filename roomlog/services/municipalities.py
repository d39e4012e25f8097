"""The official list of the 98 Danish municipalities, shipped as package data."""

from __future__ import annotations

import csv
from importlib import resources
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from roomlog.models import Municipality


class MunicipalityRow(NamedTuple):
    code: str
    name: str
    region: str


def official_municipalities() -> list[MunicipalityRow]:
    """Return the 98 municipalities (code, name, region) from ``roomlog/data``."""
    text = resources.files("roomlog.data").joinpath("municipalities.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return [MunicipalityRow(r["code"], r["name"], r["region"]) for r in csv.DictReader(lines)]


def ensure_municipalities(session: Session) -> int:
    """Add any official municipality that is missing; return how many were added."""
    existing = set(session.scalars(select(Municipality.code)))
    missing = [row for row in official_municipalities() if row.code not in existing]
    session.add_all(Municipality(code=r.code, name=r.name, region=r.region) for r in missing)
    session.flush()
    return len(missing)
