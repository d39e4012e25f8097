"""WSGI entry point: ``gunicorn wsgi:app``."""

from roomlog import create_app
from roomlog.warmup import warm_worker
from roomlog.web.pdf import preload

app = create_app()
preload()  # each worker loads the PDF renderer at start, not in its first PDF request
warm_worker(app)  # and compiles the aggregate pages' templates and reads their stored cells
