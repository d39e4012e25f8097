"""Migrations: a single head; upgrade head equals the models; downgrade to base is clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from roomlog import PROJECT_ROOT, create_app
from roomlog.extensions import db
from roomlog.models import Base, Municipality
from tests.support.apps import make_test_config
from tests.support.postgres import drop_schema, postgres_url


def _script() -> ScriptDirectory:
    from alembic.config import Config

    cfg = Config(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return ScriptDirectory.from_config(cfg)


def test_single_head() -> None:
    assert len(_script().get_heads()) == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    if request.param == "postgresql":
        url = f"{postgres_url()}_migrations"
        drop_schema(url)
    else:
        url = f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    return create_app(make_test_config(tmp_path, url, DATABASE_AS_OWNER=True))


def _diff(app: Flask) -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_matches_models_and_downgrade_is_clean(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
        assert _diff(empty_app) == []
        assert db.session.scalar(select(func.count()).select_from(Municipality)) == 98
        assert db.session.get(Municipality, "101").name == "København"
        assert db.session.get(Municipality, "751").name == "Aarhus"
        db.session.remove()
        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()  # and up again
        assert _diff(empty_app) == []
        db.session.remove()
        db.engine.dispose()
