"""Every ``# type: ignore`` in roomlog names the error it silences and says why (#15 item 7): mypy strict runs in
`make test` with ``warn_unused_ignores``, so an ignore is either needed or fails; this keeps each one explained."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOMLOG = Path(__file__).resolve().parent.parent / "roomlog"
#: ``type: ignore[code, …]`` followed by a comment of its own: the reason.
EXPLAINED = re.compile(r"type: ignore\[[-a-z, ]+\]\s+#\s*\S")


def _unexplained(source: str) -> list[int]:
    """The lines of ``source`` whose comment holds a ``type: ignore`` without an error code and a reason."""
    lines = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and "type: ignore" in token.string and not EXPLAINED.search(token.string):
            lines.append(token.start[0])
    return lines


def test_every_type_ignore_names_its_code_and_reason() -> None:
    found = {
        f"{path.relative_to(ROOMLOG)}:{line}"
        for path in sorted(ROOMLOG.rglob("*.py"))
        for line in _unexplained(path.read_text(encoding="utf-8"))
    }
    assert found == set()


def test_the_check_can_fail() -> None:
    source = (
        "a = f()  # type: ignore\n"
        "b = f()  # type: ignore[attr-defined]\n"
        "c = f()  # type: ignore[attr-defined]  # the stubs leave it out\n"
        "d = '# type: ignore'\n"
    )
    assert _unexplained(source) == [1, 2]
