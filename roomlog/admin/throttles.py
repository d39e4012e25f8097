"""Admin area: failed log-ins being throttled (who, how many, until when), and clearing them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from roomlog.admin.views import bp
from roomlog.auth import throttle
from roomlog.extensions import db
from roomlog.models import User
from roomlog.services import audit


@bp.get("/throttles")
def throttles() -> str:
    """List the keys with failed log-ins (hashed: an account, never a typed name or an address)."""
    rows = throttle.active(db.session)
    ids = {row.user_id for row in rows if row.user_id is not None}
    names = {i: n for i, n in db.session.execute(select(User.id, User.username).where(User.id.in_(ids)))}
    return render_template("admin/throttles.html", rows=rows, names=names, limit=throttle.account_limit())


@bp.post("/throttles/<key_hash>/clear")
def throttle_clear(key_hash: str) -> Response:
    """Clear one throttle (a user who is waiting and has proved who they are another way)."""
    row = throttle.clear(db.session, key_hash) or abort(404)
    audit.record(
        db.session,
        "throttle.clear",
        user_id=current_user.id,
        entity="user" if row.user_id else "",
        entity_id=row.user_id,
        changes={"kind": row.kind},
    )
    db.session.commit()
    flash(_("The throttle is cleared."), "info")
    return redirect(url_for("admin.throttles"))
