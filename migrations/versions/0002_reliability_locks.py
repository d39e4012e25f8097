"""PostgreSQL guards: an append-only audit log, event rows never deleted, locked months frozen.

Reviewed by hand. PostgreSQL only (SQLite relies on the application's checks); no table
changes, so the models are unaffected.

* ``audit_log`` refuses UPDATE, DELETE and TRUNCATE (SQLSTATE ``RLK02``).
* Event tables refuse DELETE (records are voided, never deleted; SQLSTATE ``RLK02``) unless
  the transaction set ``roomlog.retention_purge = on`` (``roomlog purge`` does, for approved
  months past the retention period).
* Event tables refuse INSERT and UPDATE of a row whose service day (before or after the
  change) lies in a locked month (SQLSTATE ``RLK01``), with the application's rule
  (roomlog/models/room_months.py ``is_locked``): the municipality accepted the month, or today
  (Europe/Copenhagen) is past month end + lock days and no lead exception is still running.
  The lock days come from the session setting ``roomlog.lock_after_days``, which the app's
  engine sets on every connection from ``ROOMLOG_LOCK_AFTER_DAYS`` (15 if a session did not
  set it). A bulk history load (``roomlog demo``) may insert into locked months by setting
  ``roomlog.history_load = on`` for its transaction.

Revision ID: reliability_locks
Revises: 0001_initial
"""

from alembic import op

revision = "reliability_locks"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

EVENT_TABLES = (
    "visits",
    "consumptions",
    "emergencies",
    "emergency_actions",
    "referrals",
    "services",
    "incidents",
)

FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION roomlog_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'RLK02';
END
$$
""",
    """
CREATE OR REPLACE FUNCTION roomlog_month_locked(p_room integer, p_day date) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_month date := date_trunc('month', p_day)::date;
  v_days integer := COALESCE(NULLIF(current_setting('roomlog.lock_after_days', true), '')::integer, 15);
  v_today date := (now() AT TIME ZONE 'Europe/Copenhagen')::date;
  v_state text;
  v_until date;
BEGIN
  SELECT state, lock_exception_until INTO v_state, v_until
    FROM period_status WHERE room_id = p_room AND month = v_month;
  IF v_state = 'accepted' THEN
    RETURN true;
  END IF;
  IF v_today <= (v_month + interval '1 month' - interval '1 day')::date + v_days THEN
    RETURN false;
  END IF;
  RETURN NOT (v_until IS NOT NULL AND v_today <= v_until);
END
$$
""",
    """
CREATE OR REPLACE FUNCTION roomlog_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('roomlog.retention_purge', true) = 'on' THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are never deleted: void them with a reason', TG_TABLE_NAME USING ERRCODE = 'RLK02';
  END IF;
  IF TG_OP = 'INSERT' AND current_setting('roomlog.history_load', true) = 'on' THEN
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
""",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in FUNCTIONS:
        op.execute(function)
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION roomlog_audit_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION roomlog_audit_append_only()"
    )
    for table in EVENT_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_guard BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION roomlog_event_guard()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in EVENT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS roomlog_event_guard()")
    op.execute("DROP FUNCTION IF EXISTS roomlog_month_locked(integer, date)")
    op.execute("DROP FUNCTION IF EXISTS roomlog_audit_append_only()")
