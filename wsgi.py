"""WSGI entry point: ``gunicorn wsgi:app``."""

from roomlog import create_app

app = create_app()
