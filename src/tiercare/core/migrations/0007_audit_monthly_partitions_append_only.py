"""The audit log becomes a monthly-partitioned table on PostgreSQL, and refuses UPDATE and DELETE on both databases.

PostgreSQL only (``PostgresOnlySQL`` does nothing on SQLite): ``core_auditevent`` is re-created as
``PARTITION BY RANGE (at)`` with one partition per month from the oldest row to three months ahead plus a DEFAULT
partition (so that a write never fails because ``manage.py audit_partitions`` has not run), the rows are copied
(filling ``person_ids`` from ``person_id``), the indexes are re-created under the same names on the parent (each
partition gets its own), plus a GIN index on ``person_ids``. The primary key becomes (id, at): a partitioned table's
unique keys must contain the partition key; ids still come from one sequence, so they stay unique.

Both databases: row triggers refuse UPDATE and DELETE. On PostgreSQL they are declared on the parent, so every
partition, present or future, has them. Retention drops whole partitions (``DROP TABLE`` fires no row trigger).
The error is SQLSTATE 23001 (restrict_violation), which Django raises as IntegrityError, like SQLite's RAISE(ABORT).
"""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL only; SQLite has no partitioning."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


PARTITION = r"""
DO $$
DECLARE
  defs text[];
  r record;
  cols text;
  sel text;
  m date;
  last_month date;
  next_id bigint;
BEGIN
  SELECT coalesce(array_agg(indexdef), '{}') INTO defs FROM pg_indexes
   WHERE schemaname = current_schema() AND tablename = 'core_auditevent' AND indexname <> 'core_auditevent_pkey';
  FOR r IN SELECT indexname FROM pg_indexes
            WHERE schemaname = current_schema() AND tablename = 'core_auditevent'
              AND indexname <> 'core_auditevent_pkey' LOOP
    EXECUTE format('DROP INDEX %I', r.indexname);
  END LOOP;
  DROP TRIGGER IF EXISTS core_auditevent_no_update ON core_auditevent;
  ALTER TABLE core_auditevent RENAME TO core_auditevent_unpartitioned;
  ALTER INDEX core_auditevent_pkey RENAME TO core_auditevent_unpartitioned_pkey;

  CREATE TABLE core_auditevent (LIKE core_auditevent_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (at);
  SELECT coalesce(max(id), 0) + 1 INTO next_id FROM core_auditevent_unpartitioned;
  CREATE SEQUENCE core_auditevent_part_id_seq;
  PERFORM setval('core_auditevent_part_id_seq', next_id, false);
  ALTER TABLE core_auditevent ALTER COLUMN id SET DEFAULT nextval('core_auditevent_part_id_seq');
  ALTER SEQUENCE core_auditevent_part_id_seq OWNED BY core_auditevent.id;
  ALTER TABLE core_auditevent ALTER COLUMN person_ids SET DEFAULT '{}';
  ALTER TABLE core_auditevent ADD CONSTRAINT core_auditevent_pkey PRIMARY KEY (id, at);

  SELECT date_trunc('month', coalesce(min(at), now()) AT TIME ZONE 'UTC')::date INTO m
    FROM core_auditevent_unpartitioned;
  last_month := (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months')::date;
  WHILE m <= last_month LOOP
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF core_auditevent FOR VALUES FROM (%L) TO (%L)',
      'core_auditevent_' || to_char(m, 'YYYYMM'),
      (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
    m := (m + interval '1 month')::date;
  END LOOP;
  CREATE TABLE core_auditevent_default PARTITION OF core_auditevent DEFAULT;

  SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position),
         string_agg(CASE WHEN column_name = 'person_ids'
                         THEN 'CASE WHEN person_id IS NOT NULL AND cardinality(person_ids) = 0 '
                              'THEN ARRAY[person_id] ELSE person_ids END'
                         ELSE quote_ident(column_name) END, ', ' ORDER BY ordinal_position)
    INTO cols, sel
    FROM information_schema.columns
   WHERE table_schema = current_schema() AND table_name = 'core_auditevent_unpartitioned';
  EXECUTE format('INSERT INTO core_auditevent (%s) SELECT %s FROM core_auditevent_unpartitioned', cols, sel);

  FOR i IN 1 .. coalesce(array_length(defs, 1), 0) LOOP
    EXECUTE defs[i];
  END LOOP;
  CREATE INDEX core_auditevent_person_ids_gin ON core_auditevent USING gin (person_ids);

  DROP TABLE core_auditevent_unpartitioned;
  ALTER SEQUENCE core_auditevent_part_id_seq RENAME TO core_auditevent_id_seq;
  DROP FUNCTION IF EXISTS core_auditevent_refuse_update();
END $$;
"""

PG_TRIGGERS = """
CREATE OR REPLACE FUNCTION tiercare_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'restrict_violation';
END; $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditevent_no_update ON core_auditevent;
DROP TRIGGER IF EXISTS core_auditevent_no_delete ON core_auditevent;
CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
  FOR EACH ROW EXECUTE FUNCTION tiercare_refuse_change('the audit log is append-only');
CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
  FOR EACH ROW EXECUTE FUNCTION tiercare_refuse_change('the audit log is append-only');
"""
PG_TRIGGERS_DOWN = """
DROP TRIGGER IF EXISTS core_auditevent_no_update ON core_auditevent;
DROP TRIGGER IF EXISTS core_auditevent_no_delete ON core_auditevent;
"""
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
    "CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]
SQLITE_TRIGGERS_DOWN = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
]


def triggers_forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_TRIGGERS, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


def triggers_backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_TRIGGERS_DOWN, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("core", "0006_audit_person_ids_backfill")]
    operations = [
        PostgresOnlySQL(PARTITION, migrations.RunSQL.noop),
        migrations.RunPython(triggers_forwards, triggers_backwards),
    ]
