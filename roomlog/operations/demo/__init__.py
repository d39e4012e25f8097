"""The demo data set (``roomlog demo``): facts, rooms and users, activity, history and the pool's pieces.

``loader.load`` puts them together; no module here imports Flask or click.
"""
