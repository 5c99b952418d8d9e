"""Refuse, in the database itself, an UPDATE that changes a signed opinion's text or signature (SQLite, PostgreSQL).

The service and the model's save() refuse first; this catches every other path (raw SQL, bulk update)."""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER IF NOT EXISTS consults_secondopinion_signed_immutable BEFORE UPDATE ON consults_secondopinion
WHEN OLD.signed_at IS NOT NULL AND (NEW.text IS NOT OLD.text OR NEW.signed_at IS NOT OLD.signed_at
  OR NEW.signed_by_id IS NOT OLD.signed_by_id)
BEGIN SELECT RAISE(ABORT, 'a signed opinion cannot be changed'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS consults_secondopinion_signed_immutable;"
PG_UP = """
CREATE OR REPLACE FUNCTION consults_secondopinion_refuse_signed_update() RETURNS trigger AS $$
BEGIN
  IF OLD.signed_at IS NOT NULL AND (NEW.text IS DISTINCT FROM OLD.text OR NEW.signed_at IS DISTINCT FROM OLD.signed_at
      OR NEW.signed_by_id IS DISTINCT FROM OLD.signed_by_id) THEN
    RAISE EXCEPTION 'a signed opinion cannot be changed';
  END IF;
  RETURN NEW;
END; $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS consults_secondopinion_signed_immutable ON consults_secondopinion;
CREATE TRIGGER consults_secondopinion_signed_immutable BEFORE UPDATE ON consults_secondopinion
FOR EACH ROW EXECUTE FUNCTION consults_secondopinion_refuse_signed_update();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS consults_secondopinion_signed_immutable ON consults_secondopinion;
DROP FUNCTION IF EXISTS consults_secondopinion_refuse_signed_update();
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    sql = {"sqlite": SQLITE_UP, "postgresql": PG_UP}.get(vendor)
    if sql:
        if vendor == "sqlite":
            schema_editor.connection.cursor().execute(sql)
        else:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    sql = {"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}.get(vendor)
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("consults", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
