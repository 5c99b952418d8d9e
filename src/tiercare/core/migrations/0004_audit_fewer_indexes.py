"""Drop the audit log's single-column indexes on actor and object_id: (actor, at) and (object_type, object_id)
serve those lookups, and every index costs each patient-list read (one audit row per patient) another insert.

SQLite rebuilds the table to alter a column, which drops its triggers, so the append-only trigger of 0002 is
created again afterwards (PostgreSQL keeps it; re-creating it there is harmless).
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

_trigger = importlib.import_module("tiercare.core.migrations.0002_audit_append_only_trigger")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_load_gbt2260_divisions")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="object_id",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(_trigger.forwards, migrations.RunPython.noop),
    ]
