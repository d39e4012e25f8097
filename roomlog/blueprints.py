"""The table of blueprints: one package per audience, URL prefix = package name."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the app."""
    # These add their pages to a blueprint defined elsewhere: admin permits, throttles and tokens, /api/v1/funding.
    import roomlog.admin.permits
    import roomlog.admin.throttles
    import roomlog.admin.tokens
    import roomlog.api.funding  # noqa: F401 (only the module's side effect is wanted)
    from roomlog.account.views import bp as account_bp
    from roomlog.admin.views import bp as admin_bp
    from roomlog.annual.views import bp as annual_bp
    from roomlog.api.views import bp as api_bp
    from roomlog.applications.views import bp as applications_bp
    from roomlog.health.views import bp as health_bp
    from roomlog.home.views import bp as home_bp
    from roomlog.login.views import bp as auth_bp
    from roomlog.municipality.views import bp as municipality_bp
    from roomlog.national.views import bp as national_bp
    from roomlog.offline.views import bp as offline_bp
    from roomlog.pool.views import bp as pool_bp
    from roomlog.reports.views import bp as reports_bp
    from roomlog.rooms.views import bp as rooms_bp

    for bp in (
        home_bp,
        auth_bp,
        account_bp,
        rooms_bp,
        reports_bp,
        municipality_bp,
        national_bp,
        annual_bp,
        applications_bp,
        pool_bp,
        api_bp,
        admin_bp,
        health_bp,
        offline_bp,
    ):
        app.register_blueprint(bp)
