"""``make bench``: time what municipalities, the ministry and room leads ask for, at years of history.

Not part of ``make test``: it generates millions of rows and runs for many minutes.
"""
