"""``/reports``: the room's monthly summary (screen, print, PDF), approval and definitions."""
