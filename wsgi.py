"""WSGI entry point: ``gunicorn wsgi:app``."""

from roomlog import create_app
from roomlog.web.pdf import preload

app = create_app()
preload()  # each worker loads the PDF renderer at start, not in its first PDF request
