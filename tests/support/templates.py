"""Compiled Jinja templates shared by every test app of a process (test processes only).

A test makes an app of its own, and each app has a Jinja environment of its own, so every test
that renders a page parsed and compiled ``base.html`` and the page's other templates anew: about
a tenth of a second per template, most of a simple request's cost. Jinja's own bytecode cache API
lets environments share the compiled code of a template; here it is kept in memory and keyed by
everything the compilation depends on (the template's name, file and source, and the environment's
options, extensions, autoescaping, filters and tests), so an app whose environment differs in any
of these compiles its own. Rendering, globals, translations and the loaders are untouched: each
app still renders with its own environment.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket

_COMPILE_OPTIONS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
)

#: The policies the compiler and the i18n extension's parser read (the others, e.g. ``json.dumps_function``,
#: are read when a template renders).
_COMPILE_POLICIES = ("compiler.ascii_str", "ext.i18n.trimmed")


def _callables(mapping: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Names and how each is called (the compiler passes context/environment by the function's marker)."""
    return tuple(sorted((name, repr(getattr(func, "jinja_pass_arg", None))) for name, func in mapping.items()))


def environment_fingerprint(environment: Environment, name: str | None) -> str:
    """What a template's compiled code depends on besides its source."""
    autoescape = environment.autoescape(name) if callable(environment.autoescape) else environment.autoescape
    parts = (
        tuple(repr(getattr(environment, option, None)) for option in _COMPILE_OPTIONS),
        tuple(sorted(environment.extensions)),
        tuple(repr(environment.policies.get(policy)) for policy in _COMPILE_POLICIES),
        bool(autoescape),
        environment.finalize is not None,
        type(environment).__module__ + "." + type(environment).__qualname__,
        _callables(environment.filters),
        _callables(environment.tests),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class SharedTemplateCode(BytecodeCache):
    """An in-memory bytecode cache whose entries are the compiled code objects themselves."""

    def __init__(self) -> None:
        self._code: dict[str, Any] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        key = self.get_cache_key(f"{name}\0{environment_fingerprint(environment, name)}", filename)
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        entry = self._code.get(bucket.key)
        if entry is not None and entry[0] == bucket.checksum:
            bucket.code = entry[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        self._code.clear()


SHARED = SharedTemplateCode()


def share_compiled_templates() -> None:
    """Give every Flask app's Jinja environment made from now on the shared cache (unless it chose one)."""
    if "bytecode_cache" not in Flask.jinja_options:
        Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SHARED}
