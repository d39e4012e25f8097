"""Operations: backups, restore, retention, and synthetic data (the demo, the bench's scale data).

No Flask and no console here: the commands in ``roomlog.cli`` pass configuration and progress callbacks.
"""
