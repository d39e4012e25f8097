"""PostgreSQL as deployed: an owner and an app role, guards the app cannot switch off, RLS everywhere.

Reviewed by hand. On every database: ``users.totp_secret`` widens to hold a sealed value and
every TOTP secret stored in clear is sealed with ``ROOMLOG_DATA_KEY`` (roomlog/auth/sealing.py).
A table ``login_throttles`` counts failed log-ins under keyed hashes (roomlog/auth/throttle.py).
The rest is PostgreSQL only.

Two roles (README, "Deployment"): the **owner** (``ROOMLOG_OWNER_DATABASE_URL``) owns the
schema and every table and runs this migration, ``roomlog demo``, ``import-history``,
``purge``, ``backup`` and ``restore``; the **app role** (the user of ``ROOMLOG_DATABASE_URL``)
owns nothing, is no superuser and has no BYPASSRLS. Because it owns no table it cannot
``ALTER TABLE``, ``DISABLE TRIGGER``, turn row-level security off or replace a function.

* **Grants.** The app role gets SELECT/INSERT/UPDATE/DELETE on the tables and USAGE on the
  sequences, now and — through ``ALTER DEFAULT PRIVILEGES`` of the owner — on every table a
  later migration adds; never TRUNCATE, REFERENCES or TRIGGER. Then the exceptions: the audit
  log takes no UPDATE/DELETE, event rows no DELETE, ``alembic_version`` is read-only.
* **Guards keyed to the role, not to settings.** The event trigger lets only the table's
  owner delete (``roomlog purge``, which also sets ``roomlog.retention_purge``) or insert
  into a locked month (a history load, with ``roomlog.history_load``). A setting alone no
  longer opens anything, so the app may ``SET`` whatever it likes. The number of days after
  which a month locks comes from the function ``roomlog_lock_after_days()`` that only the
  owner can replace (this migration and ``roomlog guards sync`` write ``ROOMLOG_LOCK_AFTER_DAYS``
  into it), no longer from the session setting ``roomlog.lock_after_days``.
* **Row-level security, deny by default.** The policies read ``roomlog.room_ids``: ``*``
  (an explicit all-rooms scope: national and admin requests, the CLI), a comma list of room
  ids, ``-1`` for no rooms; **missing or empty means nothing**. Policies are no longer
  FORCEd: the owner (maintenance, ``pg_dump``) sees every row, the app role never bypasses
  them. ``visitors`` are looked up across rooms by pseudonym (a visitor goes to several
  rooms), so their policy only requires a room scope; ``consumption_substances`` follow
  their consumption; ``audit_log`` shows a room's entries to that room's scope and takes
  new entries (their chain link read through ``roomlog_audit_last_hash()``, which returns
  only the newest hash).

Adding RLS to a new room table is one line in its migration:
``roomlog.row_security.enable_room_policy(op.execute, "the_table")``. Tables planned by other work: a per room-month
visitor-set table (``monthly_visitor_sets``-like, keyed by ``room_id``) needs the room
policy; the publication tables (``publications``, ``published_cells``) hold only
disclosure-controlled cells that every audience reads alike, so they need grants only
(which the default privileges give) and no policy; pool tables follow the default grants.

Revision ID: security_roles_and_secrets
Revises: publication_store
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from roomlog.row_security import ALL_ROOMS, ANY_SCOPE, SCOPE, enable_room_policy, in_scope

revision = "security_roles_and_secrets"
down_revision = "publication_store"
branch_labels = None
depends_on = None

EVENT_TABLES = ("visits", "consumptions", "emergencies", "emergency_actions", "referrals", "services", "incidents")
ROOM_TABLES = (
    *EVENT_TABLES,
    "period_status",
    "monthly_aggregates",
    "monthly_history",
    "yearly_history",
    "room_visitor_sets",
)
#: Tables with a policy of their own (see the module docstring).
OTHER_POLICY_TABLES = ("visitors", "consumption_substances", "audit_log")

#: A substance row is visible with its consumption (whose own policy applies in the subquery).
SUBSTANCE_SCOPE = f"({ALL_ROOMS} OR EXISTS (SELECT 1 FROM consumptions c WHERE c.id = consumption_id))"  # noqa: S608 - constant SQL

POLICIES: dict[str, tuple[str, str]] = {
    **{table: (in_scope("room_id"), in_scope("room_id")) for table in ROOM_TABLES},
    "visitors": (ANY_SCOPE, ANY_SCOPE),
    "consumption_substances": (SUBSTANCE_SCOPE, SUBSTANCE_SCOPE),
    "audit_log": (in_scope("room_id"), f"({SCOPE} <> '' AND (room_id IS NULL OR {in_scope('room_id')}))"),
}

GUARD_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION roomlog_is_table_owner(p_table oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = p_table), 'MEMBER')
$$
""",
    """
CREATE OR REPLACE FUNCTION roomlog_month_locked(p_room integer, p_day date) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
  v_month date := date_trunc('month', p_day)::date;
  v_days integer := roomlog_lock_after_days();
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
CREATE OR REPLACE FUNCTION roomlog_event_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF roomlog_is_table_owner(TG_RELID) AND current_setting('roomlog.retention_purge', true) = 'on' THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION '% rows are never deleted: void them with a reason', TG_TABLE_NAME USING ERRCODE = 'RLK02';
  END IF;
  IF TG_OP = 'INSERT' AND roomlog_is_table_owner(TG_RELID) AND current_setting('roomlog.history_load', true) = 'on' THEN
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

#: Runs as the owner, callable by the app: the chain's newest hash, which reveals no row.
LAST_HASH_FUNCTION = """
CREATE OR REPLACE FUNCTION roomlog_audit_last_hash() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1
$$
"""


def lock_days_function(days: int) -> str:
    """Return the SQL that (re)defines the month-lock days; only the owner may run it."""
    return (
        "CREATE OR REPLACE FUNCTION roomlog_lock_after_days() RETURNS integer "
        f"LANGUAGE sql IMMUTABLE AS $$ SELECT {int(days)} $$"
    )


def grant_app_role(execute: Any, app_role: str) -> None:
    """Give the app role what it needs and nothing more, now and for tables added later."""
    role = f'"{app_role}"'
    execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    # No FOR ROLE: the defaults are those of the role running migrations, the owner.
    execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}")
    execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}")
    execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    execute(f"REVOKE UPDATE, DELETE ON audit_log FROM {role}")
    execute(
        "DO $$ BEGIN IF to_regclass('alembic_version') IS NOT NULL THEN "
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}; END IF; END $$"
    )
    for table in EVENT_TABLES:
        execute(f"REVOKE DELETE ON {table} FROM {role}")


def apply_security(execute: Any, app_role: str | None, lock_after_days: int, *, triggers: bool = True) -> None:
    """Apply this revision's SQL through ``execute`` (the migration, and the tests' schema)."""
    execute(lock_days_function(lock_after_days))
    execute(LAST_HASH_FUNCTION)
    execute("REVOKE ALL ON FUNCTION roomlog_audit_last_hash() FROM PUBLIC")
    if triggers:
        for function in GUARD_FUNCTIONS:
            execute(function)
    for table, (using, check) in POLICIES.items():
        enable_room_policy(execute, table, using, check)
    if app_role:
        execute(f'GRANT EXECUTE ON FUNCTION roomlog_audit_last_hash() TO "{app_role}"')
        grant_app_role(execute, app_role)


def _app_role() -> str | None:
    from flask import current_app

    return current_app.config.get("APP_DATABASE_ROLE")


def _lock_after_days() -> int:
    from flask import current_app

    return int(current_app.config.get("LOCK_AFTER_DAYS", 15))


def _reseal(opening: bool) -> None:
    """Seal every clear TOTP secret (upgrade), or open every sealed one (downgrade)."""
    from roomlog.auth import sealing

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL")).all()
    for user_id, value in rows:
        if opening and sealing.is_sealed(value):
            value = sealing.unseal(value)
        elif not opening and not sealing.is_sealed(value):
            value = sealing.seal(value)
        else:
            continue
        bind.execute(sa.text("UPDATE users SET totp_secret = :v WHERE id = :id"), {"v": value, "id": user_id})


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(64), type_=sa.String(255), existing_nullable=True)
    op.create_table(
        "login_throttles",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_throttles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("login_throttles") as batch:
        batch.create_index(batch.f("ix_login_throttles_user_id"), ["user_id"], unique=False)
    _reseal(opening=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    apply_security(op.execute, _app_role(), _lock_after_days())


def downgrade() -> None:
    _reseal(opening=True)
    with op.batch_alter_table("login_throttles") as batch:
        batch.drop_index(batch.f("ix_login_throttles_user_id"))
    op.drop_table("login_throttles")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(255), type_=sa.String(64), existing_nullable=True)
    if op.get_bind().dialect.name != "postgresql":
        return
    role = _app_role()
    if role:
        op.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM "{role}"')
        op.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM "{role}"')
        op.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"')
        op.execute(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{role}"')
    for table in OTHER_POLICY_TABLES:
        op.execute(f"DROP POLICY IF EXISTS room_scope ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    # Back to revision security_row_level_security's policies and guards.
    legacy = (
        "coalesce(current_setting('roomlog.room_ids', true), '') = '' "
        "OR room_id = ANY (string_to_array(current_setting('roomlog.room_ids', true), ',')::integer[])"
    )
    for table in ROOM_TABLES:
        op.execute(f"DROP POLICY IF EXISTS room_scope ON {table}")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY room_scope ON {table} USING ({legacy}) WITH CHECK ({legacy})")
    for function in _LEGACY_GUARDS:
        op.execute(function)
    op.execute("DROP FUNCTION IF EXISTS roomlog_is_table_owner(oid)")
    op.execute("DROP FUNCTION IF EXISTS roomlog_audit_last_hash()")
    op.execute("DROP FUNCTION IF EXISTS roomlog_lock_after_days()")


_LEGACY_GUARDS = (
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
