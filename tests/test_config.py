"""Configuration comes from ROOMLOG_* variables; production refuses to start without secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomlog.config import ConfigError, load_config
from tests.support.apps import start_in_a_new_process


def test_production_without_secrets_stops_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ROOMLOG_SECRET_KEY is not set"):
        load_config(tmp_path, env={"ROOMLOG_ENV": "production"})
    with pytest.raises(ConfigError, match="ROOMLOG_PSEUDONYM_KEY is not set"):
        load_config(tmp_path, env={"ROOMLOG_ENV": "production", "ROOMLOG_SECRET_KEY": "x" * 40})
    assert not (tmp_path / "secret_key.txt").exists()


def test_production_start_fails_from_the_command_line(tmp_path: Path) -> None:
    env = {"ROOMLOG_ENV": "production", "ROOMLOG_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = start_in_a_new_process(env)
    assert proc.returncode != 0
    assert "ROOMLOG_SECRET_KEY is not set" in proc.stderr


def test_development_generates_secrets_once_into_the_instance_folder(tmp_path: Path) -> None:
    first = load_config(tmp_path, env={})
    second = load_config(tmp_path, env={})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["PSEUDONYM_KEY"] == second["PSEUDONYM_KEY"] != first["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) >= 40
    assert (tmp_path / "secret_key.txt").stat().st_mode & 0o077 == 0


def test_environment_variables_are_read(tmp_path: Path) -> None:
    config = load_config(
        tmp_path,
        env={
            "ROOMLOG_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "ROOMLOG_SECRET_KEY": "s",
            "ROOMLOG_PSEUDONYM_KEY": "p",
            "ROOMLOG_SUPPRESSION_THRESHOLD": "3",
        },
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["SUPPRESSION_THRESHOLD"] == 3
    assert config["SECRET_KEY"] == "s" and config["PSEUDONYM_KEY"] == "p"


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'roomlog.sqlite3'}"
    assert config["SUPPRESSION_THRESHOLD"] == 5


def test_bad_numbers_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ROOMLOG_SUPPRESSION_THRESHOLD must be a whole number"):
        load_config(tmp_path, env={"ROOMLOG_SUPPRESSION_THRESHOLD": "five"})


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({"SECRET_KEY": "s" * 31}, "ROOMLOG_SECRET_KEY is shorter than 32 bytes"),
        ({"PSEUDONYM_KEY": "a" * 40}, "ROOMLOG_PSEUDONYM_KEY equals ROOMLOG_SECRET_KEY"),
        ({"DATA_KEY": "change-me-change-me-change-me-change-me"}, "ROOMLOG_DATA_KEY is an example value"),
        ({"DATA_KEY": "…"}, "ROOMLOG_DATA_KEY is an example value"),
        ({"DATA_KEY": f"{'d' * 40},short"}, "ROOMLOG_DATA_KEY is shorter than 32 bytes"),
    ],
)
def test_production_refuses_short_equal_and_example_secrets(
    tmp_path: Path, secrets: dict[str, str], message: str
) -> None:
    env = {
        "ROOMLOG_ENV": "production",
        "ROOMLOG_SECRET_KEY": "a" * 40,
        "ROOMLOG_PSEUDONYM_KEY": "p" * 40,
        "ROOMLOG_DATA_KEY": "d" * 40,
        **{f"ROOMLOG_{k}": v for k, v in secrets.items()},
    }
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, env=env)


def test_production_starts_with_three_long_different_secrets(tmp_path: Path) -> None:
    env = {
        "ROOMLOG_ENV": "production",
        "ROOMLOG_SECRET_KEY": "a" * 40,
        "ROOMLOG_PSEUDONYM_KEY": "p" * 40,
        "ROOMLOG_DATA_KEY": f"{'d' * 40},{'o' * 40}",  # a rotation in progress: two data keys
    }
    assert load_config(tmp_path, env=env)["DATA_KEY"].startswith("d")
