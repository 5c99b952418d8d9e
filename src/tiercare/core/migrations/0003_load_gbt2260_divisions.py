"""Load the GB/T 2260 administrative divisions (code, name, level, parent) from divisions_data/divisions.csv."""

import csv
from pathlib import Path

from django.db import migrations

CSV_PATH = Path(__file__).resolve().parent.parent / "divisions_data" / "divisions.csv"


def load(apps, schema_editor):
    Division = apps.get_model("core", "Division")
    with CSV_PATH.open(encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: (int(r["level"]), r["code"]))
    existing = set(Division.objects.values_list("code", flat=True))
    Division.objects.bulk_create(
        [
            Division(code=r["code"], name=r["name"], level=int(r["level"]), parent_id=r["parent_code"] or None)
            for r in rows
            if r["code"] not in existing
        ],
        batch_size=1000,
    )


def unload(apps, schema_editor):
    apps.get_model("core", "Division").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only_trigger")]
    operations = [migrations.RunPython(load, unload)]
