"""``/annual``: the annual report to the ministry (årsafrapportering) per municipality and year."""
