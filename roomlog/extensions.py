"""Unbound extension objects, bound to the app in ``create_app`` with ``init_app``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

import roomlog.auth.throttle_storage  # noqa: F401 (registers the roomlog+sqlite:// rate-limit storage)
from roomlog.auth.signed_cookies import VerifiedOnceCSRF
from roomlog.models.base import Base
from roomlog.reporting.publication.memo import FileMemo
from roomlog.reporting.publication.store import CellCache

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from roomlog.services.publication import Publishing

    class ScopedSession(Session):
        """``db.session`` as the code uses it: the request's ``Session`` plus the registry's own methods."""

        def __call__(self) -> Session: ...

        def remove(self) -> None: ...

    class _Database(SQLAlchemy):
        # Why: Flask-SQLAlchemy types ``db.session`` as ``scoped_session[Session]``, which is no
        # ``Session`` subclass, so each of the ~170 calls ``service(db.session, ...)`` would fail
        # against services annotated ``session: Session`` (SQLAlchemy's own advice for functions).
        # At run time ``scoped_session`` proxies every ``Session`` method and attribute to the
        # current scope's session, so typing it as that ``Session`` (plus ``__call__``/``remove``)
        # is true for every use, and no call site or service signature has to change.
        session: ScopedSession  # type: ignore[assignment]  # scoped_session proxies Session (see above)


db = cast("_Database", SQLAlchemy(metadata=Base.metadata))  # cast only: the object is a plain SQLAlchemy
migrate = Migrate()
login_manager = LoginManager()
csrf = VerifiedOnceCSRF()  # Flask-WTF's CSRFProtect; a token's signature is checked once per process
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _outside_api() -> bool:
    """Skip the limiter outside the API (its only limits; login throttling is roomlog.auth.throttle)."""
    return request.blueprint != "api"


def init_limiter(app: Flask) -> None:
    """Bind the limiter, its per-request hooks run only where a limit can apply (the API).

    Everywhere else ``_outside_api`` exempts every limit, and Flask-Limiter's hooks would only
    find that out (its filter, its per-request context, no headers to add) on every request:
    the wrapped hooks skip that work and keep their places among the app's hooks, so inside the
    API the limit is checked exactly where and as before (before the login check).
    """
    if app.config.get("RATELIMIT_META"):  # meta limits apply to exempt requests too: keep the hooks as they are
        limiter.init_app(app)
        return
    kinds: tuple[dict[Any, list[Any]], ...] = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    )
    ours = [list(hooks.get(None, ())) for hooks in kinds]
    limiter.init_app(app)  # appends its three hooks (once per app)
    for hooks, existing in zip(kinds, ours, strict=True):
        hooks[None] = [hook if hook in existing else _only_in_api(hook) for hook in hooks.get(None, ())]


def _only_in_api(hook: Callable[..., Any]) -> Callable[..., Any]:
    """``hook`` for API requests; elsewhere an after-request hook hands the response on, the others do nothing."""

    def hook_in_api(*args: Any) -> Any:
        if _outside_api():
            return args[0] if args else None  # (a teardown hook's return value is ignored)
        return hook(*args)

    return hook_in_api


def lock_after_days() -> int:
    """The app's ``LOCK_AFTER_DAYS``, for a caller that checks month locks (``services.locks``) to pass on."""
    return int(current_app.config["LOCK_AFTER_DAYS"])


def publishing() -> Publishing:
    """What publishing needs from this app: its threshold, its lock days, the auth layer's scope lift and the
    app's memo of protection decisions (when ``PROTECTION_MEMO_DIR`` is set)."""
    from roomlog.auth.national_scope import national_scope
    from roomlog.database import publication_write_lock
    from roomlog.services.publication import Publishing

    config = current_app.config
    return Publishing(
        int(config["SUPPRESSION_THRESHOLD"]),
        lock_after_days(),
        national_scope,
        protection_memo(),
        publication_write_lock,
    )


def protection_memo() -> FileMemo | None:
    """The app's memo of protection decisions (one per app), or ``None`` when ``PROTECTION_MEMO_DIR`` is unset."""
    folder = current_app.config.get("PROTECTION_MEMO_DIR")
    if not folder:
        return None
    memo: FileMemo = current_app.extensions.setdefault("roomlog_protection_memo", FileMemo(folder))
    return memo


def publication_cells() -> CellCache:
    """The app's cache of stored publication cells (one per process; stored versions never change)."""
    cells: CellCache = current_app.extensions.setdefault("roomlog_publication_cells", CellCache())
    return cells
