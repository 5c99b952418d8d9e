"""Data: every existing event about one person names that person in ``person_ids`` as well.

SQLite only: adding the column in 0005 rebuilt the table, which dropped the append-only trigger, so the rows can be
filled here; 0007 installs the triggers again. On PostgreSQL 0007 fills the column while it copies the rows into the
partitioned table (an UPDATE there would be refused by the trigger of 0002).
"""

from django.db import migrations

SQLITE = """
DROP TRIGGER IF EXISTS core_auditevent_no_update;
UPDATE core_auditevent SET person_ids = json_array(lower(replace(person_id, '-', '')))
WHERE person_id IS NOT NULL AND (person_ids IS NULL OR person_ids = '[]');
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE.strip().split(";\n"):
            if statement.strip():
                schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_audit_person_ids_fewer_indexes")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
