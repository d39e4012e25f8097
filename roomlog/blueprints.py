"""The table of blueprints: one package per audience, URL prefix = package name."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint of the app."""
    from roomlog.account.views import bp as account_bp
    from roomlog.admin.views import bp as admin_bp
    from roomlog.auth.views import bp as auth_bp
    from roomlog.health.views import bp as health_bp
    from roomlog.home.views import bp as home_bp
    from roomlog.rooms.views import bp as rooms_bp

    for bp in (home_bp, auth_bp, account_bp, rooms_bp, admin_bp):
        app.register_blueprint(bp)
    app.register_blueprint(health_bp)
