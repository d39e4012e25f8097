"""A file the browser saves: the body, its type told by the file name's ending, and that name."""

from __future__ import annotations

from flask import Response

from roomlog.reporting.exports import XLSX

#: The type of each download, by the file name's ending.
MIMETYPES = {"pdf": "application/pdf", "xlsx": XLSX}


def attachment(body: bytes, name: str) -> Response:
    """Return ``body`` as the attachment ``name`` (``….pdf`` or ``….xlsx``)."""
    return Response(
        body,
        mimetype=MIMETYPES[name.rsplit(".", 1)[1]],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
