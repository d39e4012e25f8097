"""Test support: one place for each concern the tests share.

- ``net``: a free loopback port and the CSRF token of a page (standard library only, the bench uses it).
- ``server``: the one gunicorn launcher (standard library only, the bench uses it); ``gunicorn_exit`` its settings.
- ``http``: the one HTTP client for a running server (cookies, CSRF, no automatic redirects).
- ``postgres``: every way the tests get PostgreSQL (the shared test server, scratch databases, a private server).
- ``sqlite``: the per-session template database each test's SQLite file is copied from (on tmpfs).
- ``snapshots``: an expensive world built once per run and copied into later tests' databases.
- ``rollback``: ``@pytest.mark.rollback``: one database per module, each test in one outer transaction rolled back
  at its end, for tests of models, services and the read side on ``db.session``/``dbs``/``make`` alone (no
  client, CLI, server, second connection, snapshot world, DDL or row-level-security check: see its docstring).
"""
