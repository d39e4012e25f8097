"""Operations: backups, restore, retention and audit checks (commands in roomlog.operations.cli)."""
