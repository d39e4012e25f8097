"""``wsgi.py`` without its per-worker warm-up, for the test servers that do not test the warm-up.

A worker of ``wsgi:app`` loads the PDF renderer, compiles the aggregate pages' templates, reads the stored
cells and renders one monthly summary PDF before it serves: about two thirds of its start-up. The load,
fault and throttling tests start gunicorn with four workers (and start new ones as they kill them) and
test writes, failures and counters, none of which the warm-up touches; they serve this app, the same
``create_app()`` with the same environment. The warm-up itself is tested in-process (test_warmup.py), and
the log and privacy tests (test_security_logs.py, test_capture_privacy.py) still serve ``wsgi:app``.
"""

from roomlog import create_app

app = create_app()
