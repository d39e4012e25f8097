"""The table of blueprints: one package per audience, URL prefix = package name."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the app."""
    import roomlog.admin.tokens  # noqa: F401 (adds the token pages to the admin blueprint)
    from roomlog.account.views import bp as account_bp
    from roomlog.admin.views import bp as admin_bp
    from roomlog.api.views import bp as api_bp
    from roomlog.auth.views import bp as auth_bp
    from roomlog.home.views import bp as home_bp
    from roomlog.rooms.views import bp as rooms_bp

    for bp in (home_bp, auth_bp, account_bp, rooms_bp, admin_bp):
        app.register_blueprint(bp)
    app.register_blueprint(__import__("roomlog.reports.views", fromlist=["bp"]).bp)  # reports (issue 4)
    app.register_blueprint(api_bp)
    for package in ("municipality", "national", "annual"):
        app.register_blueprint(__import__(f"roomlog.{package}.views", fromlist=["bp"]).bp)
