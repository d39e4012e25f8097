"""``/municipality``: the kommune's rooms, disclosure-controlled, with downloads and acceptance."""
