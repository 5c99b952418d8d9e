"""Issued statements cannot be changed or removed, by any path (raw SQL, bulk update, another app), on SQLite and
PostgreSQL, as consults 0003 does for signed opinions (docs/adr/0004, 0006):

- an expert statement (stored only when issued): no UPDATE of any column, no DELETE;
- a statement line: no UPDATE, no DELETE.
A correction is an adjustment line of a later statement. The PostgreSQL function ``tiercare_refuse_change`` is
created by core 0007 (and again here, so this migration stands alone).
"""

from django.db import migrations

# (table, trigger stem, message)
RULES = [
    ("finance_statement", "finance_statement_issued",
     "an issued statement cannot be changed or deleted; add an adjustment to a later statement"),
    ("finance_statementline", "finance_statementline_issued",
     "a line of an issued statement cannot be changed or deleted"),
]  # fmt: skip

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION tiercare_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'restrict_violation';
END; $$ LANGUAGE plpgsql
"""


def _statements(vendor, rules=RULES):
    out = [PG_FUNCTION] if vendor == "postgresql" else []
    for table, stem, message in rules:
        for op in ("UPDATE", "DELETE"):
            name = f"{stem}_no_{op.lower()}"
            if vendor == "postgresql":
                out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                out.append(
                    f"CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW "
                    f"EXECUTE FUNCTION tiercare_refuse_change('{message}')"
                )
            else:
                out.append(f"DROP TRIGGER IF EXISTS {name}")
                out.append(f"CREATE TRIGGER {name} BEFORE {op} ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END")
    return out


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in ("postgresql", "sqlite"):
        for statement in _statements(vendor):
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor, rules=RULES):
    vendor = schema_editor.connection.vendor
    for table, stem, _message in rules:
        for op in ("update", "delete"):
            suffix = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {stem}_no_{op}{suffix}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0001_initial"),
        ("core", "0007_audit_monthly_partitions_append_only"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
