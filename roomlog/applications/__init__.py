"""``/applications/``: a municipality's applications to the state co-financing pool."""
