"""The event guard asks the cheap question first: is the history-load (or purge) switch on at all?

PostgreSQL only; the same rule as ``security_roles_and_secrets``. The event trigger lets a
transaction insert into a locked month (or delete an event row) only when **both** the table's
owner runs it and it set ``roomlog.history_load`` (``roomlog.retention_purge``) for itself. It
asked the role first: ``roomlog_is_table_owner`` (``pg_has_role`` on the table's owner, in a
function with its own ``search_path``) ran for every row the app inserted, although the app
never sets the switch (about 14 µs a row on the development machine, the dearest step of the
trigger after the month check). Now the switch is read first and the role asked only when it
is on; a transaction that sets the switch but is not the owner is refused as before, and the
month lock (``roomlog_month_locked``) is checked for every other insert and update, as before.

Revision ID: guard_setting_first
Revises: summary_visitor_index
"""

from __future__ import annotations

from alembic import op

revision = "guard_setting_first"
down_revision = "summary_visitor_index"
branch_labels = None
depends_on = None

_GUARD = """
CREATE OR REPLACE FUNCTION roomlog_event_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF {purge_check} THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are never deleted: void them with a reason', TG_TABLE_NAME USING ERRCODE = 'RLK02';
  END IF;
  IF TG_OP = 'INSERT' AND {load_check} THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND roomlog_month_locked(OLD.room_id, OLD.service_day) THEN
    RAISE EXCEPTION 'month % of room % is locked', to_char(OLD.service_day, 'YYYY-MM'), OLD.room_id
      USING ERRCODE = 'RLK01';
  END IF;
  IF roomlog_month_locked(NEW.room_id, NEW.service_day) THEN
    RAISE EXCEPTION 'month % of room % is locked', to_char(NEW.service_day, 'YYYY-MM'), NEW.room_id
      USING ERRCODE = 'RLK01';
  END IF;
  RETURN NEW;
END
$$
"""

_OWNER = "roomlog_is_table_owner(TG_RELID)"
_PURGE = "current_setting('roomlog.retention_purge', true) = 'on'"
_LOAD = "current_setting('roomlog.history_load', true) = 'on'"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # PL/pgSQL evaluates AND from the left and stops at the first false: the switch, then the role.
    op.execute(_GUARD.format(purge_check=f"{_PURGE} AND {_OWNER}", load_check=f"{_LOAD} AND {_OWNER}"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Revision security_roles_and_secrets's order: the role, then the switch.
    op.execute(_GUARD.format(purge_check=f"{_OWNER} AND {_PURGE}", load_check=f"{_OWNER} AND {_LOAD}"))
