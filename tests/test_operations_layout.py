"""Operations and the command line where they belong (#15 item 5): read from the source, no database."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import Flask

from roomlog.operations import scale_mix
from roomlog.operations.demo import facts

ROOT = Path(__file__).resolve().parent.parent / "roomlog"
#: Every command of ``roomlog`` (README, CLI): scripts depend on these names.
COMMANDS = {
    "audit", "backup", "bench-data", "db", "demo", "guards", "import-history", "publish", "purge", "restore",
    "room", "routes", "run", "secrets", "shell", "token", "user",
}  # fmt: skip


def _imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_operations_import_neither_flask_nor_click() -> None:
    modules = sorted((ROOT / "operations").rglob("*.py"))
    assert any(p.parent.name == "demo" for p in modules)
    for path in modules:
        assert not _imported_packages(path) & {"flask", "flask_babel", "click"}, path


def test_the_demo_and_the_commands_are_split_into_modules_under_300_lines() -> None:
    for path in [*(ROOT / "operations" / "demo").glob("*.py"), *(ROOT / "cli").glob("*.py")]:
        assert len(path.read_text(encoding="utf-8").splitlines()) < 300, path


def test_every_command_lives_in_the_cli_package() -> None:
    assert not [p for p in ROOT.rglob("cli.py")], "commands live in roomlog/cli/, one module per group"
    for path in ROOT.rglob("*.py"):
        if path.parent.name != "cli":
            assert "click" not in _imported_packages(path), path


def test_the_app_registers_every_command_under_its_name(app: Flask) -> None:
    flask_own = {"routes", "run", "shell"}  # Flask's own, added by the FlaskGroup
    assert set(app.cli.commands) == COMMANDS - flask_own


def test_the_demo_draws_from_the_one_mix() -> None:
    assert [(s.value, w) for s, w in facts.INJECT_SUBSTANCES] == list(scale_mix.INJECT)
    assert [(s.value, w) for s, w in facts.REFERRAL_WEIGHTS] == list(scale_mix.REFERRALS)
    assert [facts.HOUR_WEIGHTS[h] for h in range(27)] == list(scale_mix.HOUR_WEIGHTS)
