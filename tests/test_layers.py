"""The import graph below the views, read with ``ast``: the read side, the models and the calendar know no
Flask, no blueprint and no service (a request walks view → service or read side → models, one way)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOMLOG = Path(__file__).resolve().parent.parent / "roomlog"
#: Packages that hold views (blueprints) or wire the app: nothing below the views imports them.
ABOVE = {
    "account",
    "admin",
    "annual",
    "api",
    "applications",
    "auth",
    "extensions",
    "health",
    "home",
    "i18n",
    "municipality",
    "national",
    "offline",
    "pool",
    "reports",
    "rooms",
}
FRAMEWORK = ("flask", "flask_babel", "flask_login", "flask_wtf", "flask_sqlalchemy", "werkzeug")
#: Below the services: none of these may import a service.
BELOW_SERVICES = ["calendar.py", "models", "reporting"]
#: The use cases, the pool's rules, operations and what they share with the app (logs, the guards' switches,
#: messages, row security): no Flask and nothing from the views (the request side is request_logs.py, database.py).
FLASK_FREE = ["services", "funding", "operations", "logs.py", "db_guards.py", "messages.py", "row_security.py"]


def _modules(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):  # every import, lazy ones inside functions too
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno


def _files(*places: str) -> list[Path]:
    out: list[Path] = []
    for place in places:
        path = ROOMLOG / place
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


def _offences(source: str, *, services: bool) -> list[str]:
    out = []
    for module, line in _modules(ast.parse(source)):
        parts = module.split(".")
        above = ABOVE | {"services"} if services else ABOVE
        upward = parts[0] == "roomlog" and len(parts) > 1 and parts[1] in above
        if parts[0] in FRAMEWORK or upward:
            out.append(f"line {line} imports {module}")
    return out


def _id(path: Path) -> str:
    return str(path.relative_to(ROOMLOG))


@pytest.mark.parametrize("path", _files(*BELOW_SERVICES), ids=_id)
def test_the_read_side_models_and_calendar_import_nothing_above_them(path: Path) -> None:
    assert _offences(path.read_text(encoding="utf-8"), services=True) == []


@pytest.mark.parametrize("path", _files(*FLASK_FREE), ids=_id)
def test_services_and_operations_import_no_flask_and_no_blueprint(path: Path) -> None:
    assert _offences(path.read_text(encoding="utf-8"), services=False) == []


def test_the_check_can_fail() -> None:
    lazy = "def f():\n    from flask import g\n    import roomlog.auth.scoping\n    from roomlog.services import audit"
    assert _offences(lazy, services=True) == [
        "line 2 imports flask",
        "line 3 imports roomlog.auth.scoping",
        "line 4 imports roomlog.services",
    ]
    assert len(_offences(lazy, services=False)) == 2
