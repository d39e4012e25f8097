"""A memo of protection decisions: the hidden cells :func:`~.protect.protect_year` chose for the same inputs before.

``protect_year`` is pure and costs seconds a year (HiGHS solves); a rebuild that publishes the same history again
(``roomlog demo``, the benches, the test run's two demo builds) asks it the same questions. :func:`protect`
answers from a memo when one is given: the key is a digest of every input exactly as passed (the order of the
counts and relations too: the passes walk them in that order, so two orders may hide different cells), the
threshold, the version line of the protection code (``protect.MEMO_VERSION``), a digest of the code of every
roomlog module ``protect_year`` runs (its syntax tree without docstrings: any change to the algorithm makes new
keys, a comment or docstring edit does not), the HiGHS version and the versions of NumPy (the LP's arrays) and
Python (so a memo kept between runs, as the tests keep one, misses after an upgrade instead of answering for other
code). Without a memo (the default) nothing changes.

:class:`FileMemo` keeps one small JSON file a decision in a directory (``PROTECTION_MEMO_DIR``): written to a
temporary file and renamed into place (two processes writing the same key write the same decision), read back
only when it is whole (its own checksum) and plausible (every cell the inputs oblige to hide is hidden); anything
else is a miss, never an error. What the directory holds decides what is hidden: only roomlog may write to it.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Protocol

from roomlog.reporting.publication import protect as protection
from roomlog.reporting.publication.units import EXEMPT_CODES, Key, Relation

log = logging.getLogger(__name__)


class DecisionMemo(Protocol):
    """Where :func:`protect` looks up and keeps decisions (the app owns one; see :class:`FileMemo`)."""

    def get(self, key: str) -> set[Key] | None: ...

    def put(self, key: str, hidden: AbstractSet[Key]) -> None: ...


def protect(
    memo: DecisionMemo | None,
    exact: Mapping[Key, int],
    relations: list[Relation],
    threshold: int,
    fixed: Mapping[Key, bool],
    forced: AbstractSet[Key] = frozenset(),
    *,
    what: str = "",
) -> set[Key]:
    """``protect_year(exact, relations, threshold, fixed, forced)``, from ``memo`` when it holds the decision."""
    if memo is None:
        return protection.protect_year(exact, relations, threshold, fixed, forced)
    try:
        key = decision_key(exact, relations, threshold, fixed, forced)
    except (OSError, RuntimeError, SyntaxError):  # the code's source cannot be read: no key, no memo
        log.warning("publication: no memo key for the protection code; protecting without the memo", exc_info=True)
        return protection.protect_year(exact, relations, threshold, fixed, forced)
    found = memo.get(key)
    if found is not None and plausible(found, exact, threshold, fixed, forced):
        log.info("publication: protection of %s from the memo (hit %s)", what or "a year", key[:12])
        return found
    if found is not None:
        log.warning("publication: a memo entry leaves obliged cells shown; protecting %s again", what or "a year")
    hidden = protection.protect_year(exact, relations, threshold, fixed, forced)
    log.info("publication: protection of %s computed (miss %s)", what or "a year", key[:12])
    memo.put(key, hidden)
    return hidden


def decision_key(
    exact: Mapping[Key, int],
    relations: list[Relation],
    threshold: int,
    fixed: Mapping[Key, bool],
    forced: AbstractSet[Key] = frozenset(),
) -> str:
    """A SHA-256 of every input of ``protect_year`` (in the order given; ``forced``, a set, sorted) and its code."""
    digest = hashlib.sha256()
    head = [protection.MEMO_VERSION, code_digest(), _highs_version(), _runtime(), threshold]
    for part in (
        head,
        [[*_flat(k), v] for k, v in exact.items()],
        [[r.exact, [[*_flat(k), c] for k, c in r.terms]] for r in relations],
        [[*_flat(k), h] for k, h in fixed.items()],
        sorted(_flat(k) for k in forced),
    ):
        # JSON of lists of strings, integers and booleans: one text per input, and no two inputs the same text.
        digest.update(json.dumps(part, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def plausible(
    hidden: AbstractSet[Key],
    exact: Mapping[Key, int],
    threshold: int,
    fixed: Mapping[Key, bool],
    forced: AbstractSet[Key] = frozenset(),
) -> bool:
    """Whether ``hidden`` hides what the inputs alone oblige: the fixed hidden cells, the forced ones, the small
    counts; and nothing fixed as shown (a check on what a memo returns, not a proof of protection)."""
    if any(fixed.get(k) is False for k in hidden):
        return False
    if any(h and k not in hidden for k, h in fixed.items()) or any(k not in hidden for k in forced):
        return False
    return all(
        k in hidden for k, v in exact.items() if k not in fixed and k[2] not in EXEMPT_CODES and 0 < v < threshold
    )


def _flat(key: Key) -> list[str]:
    label, (kind, unit), code = key
    return [label, kind, unit, code]


def _highs_version() -> str:
    try:
        return importlib.metadata.version("highspy")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _runtime() -> str:
    """The versions of what else ``protect_year`` runs on: NumPy (the audit's arrays) and Python itself."""
    try:
        numpy = importlib.metadata.version("numpy")
    except importlib.metadata.PackageNotFoundError:
        numpy = "unknown"
    return f"numpy {numpy}, {sys.implementation.name} {sys.version}"


@functools.cache
def code_digest() -> str:
    """A SHA-256 of the code of ``protect`` and of every roomlog module it imports, directly or not."""
    digest = hashlib.sha256()
    for name in sorted(_imported_modules(protection.__name__)):
        digest.update(name.encode() + b"\0" + code_text(_source(name).read_bytes()).encode() + b"\0")
    return digest.hexdigest()


def code_text(source: bytes) -> str:
    """What of a module's ``source`` runs: its syntax tree (``ast.dump``) without docstrings, so that a comment,
    a docstring or a layout edit keeps the memo's keys and any other change makes new ones."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and _docstring(node):
            node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _docstring(node: ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    first = node.body[0] if node.body else None
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)


def _source(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        raise RuntimeError(f"no source file for {name}: the protection code cannot be versioned")
    return Path(spec.origin)


def _imported_modules(start: str) -> set[str]:
    """``start`` and the roomlog modules it imports (read from their source), transitively."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(ast.parse(_source(name).read_bytes())):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.split(".")[0] == "roomlog"]
            elif isinstance(node, ast.ImportFrom) and node.level:
                raise RuntimeError(f"{name}: a relative import, not followed: the protection code cannot be versioned")
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "roomlog":
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    todo.append(sub if _is_module(sub) else node.module)
    return seen


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # ``name`` is an attribute of a module, not a submodule
        return False


class FileMemo:
    """Decisions as files in ``directory`` (made when first written); shared safely by several processes."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> set[Key] | None:
        """The decision kept under ``key``, or ``None`` (absent, unreadable, truncated or altered)."""
        found = self._read(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def _read(self, key: str) -> set[Key] | None:
        try:
            record = json.loads(self._path(key).read_bytes())
            cells = record["hidden"]
            if record["key"] != key or record["check"] != _check(key, cells):
                return None
            out: set[Key] = set()
            for cell in cells:
                label, kind, unit, code = cell
                if not all(isinstance(part, str) for part in cell):
                    return None
                out.add((label, (kind, unit), code))
            return out
        except (OSError, ValueError, KeyError, TypeError):  # absent, not JSON or not the shape written
            return None

    def put(self, key: str, hidden: AbstractSet[Key]) -> None:
        """Keep ``hidden`` under ``key``: a whole file or none (a failure to write is logged, not raised)."""
        cells = sorted(_flat(k) for k in hidden)
        data = json.dumps({"key": key, "hidden": cells, "check": _check(key, cells)}, separators=(",", ":"))
        temporary: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=self.directory, prefix=".tmp-", delete=False) as out:
                temporary = out.name
                out.write(data)
            os.replace(temporary, self._path(key))  # atomic: a reader sees the old file, the new one or none
        except OSError:
            log.warning("publication: could not keep a protection decision in %s", self.directory, exc_info=True)
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)


def _check(key: str, cells: object) -> str:
    return hashlib.sha256(json.dumps([key, cells], separators=(",", ":")).encode()).hexdigest()
