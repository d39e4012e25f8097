"""Large JSON bodies of ``/api/v1``, encoded by orjson to the very bytes Flask's ``jsonify`` would send.

A month table of two years is 25,000 rows; the standard library's encoder spends most of a
page's time on them. orjson writes the same JSON about ten times faster. The bytes stay those
of the app's JSON provider (sorted keys, no spaces, ``\\uXXXX`` for every character outside
ASCII and for DEL, a closing newline), so no client sees a change. Anything orjson
cannot write the same way (a debug app's indented JSON, another provider, an integer beyond 64
bits, a lone surrogate) goes through ``jsonify`` as before. Dates and dataclasses are handed to the
provider's ``default`` as the standard library would. The one difference left is in floats the API
never sends (not a number, infinities, and small ones such as 1e-05, which orjson writes as 0.00001):
its figures are counts and rates with two decimals.
"""

from __future__ import annotations

import codecs

import orjson
from flask import Response, current_app, jsonify
from flask.json.provider import DefaultJSONProvider

#: Sorted keys; dates and dataclasses through the provider's ``default``, as ``json.dumps`` does.
OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
#: The codec error handler that writes what ``encode("ascii")`` cannot as ``json.dumps(ensure_ascii=True)`` does.
ESCAPES = "roomlog-json-ascii"


def _escape(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:  # outside the Basic Multilingual Plane: a surrogate pair, as the standard library writes it
            code -= 0x10000
            out.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
    return "".join(out), error.end


codecs.register_error(ESCAPES, _escape)


def ascii_json(data: bytes) -> bytes:
    """orjson's UTF-8 output with the standard library's ``ensure_ascii`` escapes (non-ASCII, and DEL)."""
    if not data.isascii():  # the codec calls the handler once per run of non-ASCII characters: a few in a page
        data = data.decode("utf-8").encode("ascii", ESCAPES)
    return data.replace(b"\x7f", b"\\u007f") if b"\x7f" in data else data


def json_response(body: dict[str, object]) -> Response:
    """``jsonify(body)``, byte for byte, encoded by orjson when that gives the same bytes."""
    provider = current_app.json  # exactly Flask's default (a subclass may write otherwise; isinstance narrows the type)
    if type(provider) is not DefaultJSONProvider or not isinstance(provider, DefaultJSONProvider):
        return jsonify(body)
    compact = provider.compact or (provider.compact is None and not current_app.debug)
    if not (provider.sort_keys and provider.ensure_ascii and compact):
        return jsonify(body)
    try:
        data = orjson.dumps(body, default=provider.default, option=OPTIONS)
    except orjson.JSONEncodeError:
        return jsonify(body)
    return current_app.response_class(ascii_json(data) + b"\n", mimetype=provider.mimetype)
