"""Signed records cannot be changed or removed, by any path (raw SQL, bulk update, another app), on SQLite and
PostgreSQL. Replaces 0002, which guarded only a signed opinion's text and signature.

- a signed second opinion (``signed_at`` set): no UPDATE of any column, no DELETE;
- an opinion addendum (signed when written): no UPDATE, no DELETE;
- a signed MDT conclusion (``MdtMeeting.signed_at`` set): no UPDATE, no DELETE;
- a closed tele-consultation (its answer filed into the inviting institution's record): no UPDATE, no DELETE;
- a tele-consultation message (the expert's answer is written in the thread; chats are kept ≥3 years): no UPDATE,
  no DELETE.
See docs/adr/0004. The PostgreSQL function ``tiercare_refuse_change`` is created by core 0007 (and again here).
"""

from django.db import migrations

# (table, trigger stem, WHEN condition on OLD or "" for always, message)
RULES = [
    ("consults_secondopinion", "consults_secondopinion_signed", "OLD.signed_at IS NOT NULL",
     "a signed opinion cannot be changed or deleted; add an addendum"),
    ("consults_opinionaddendum", "consults_opinionaddendum_signed", "",
     "a signed addendum cannot be changed or deleted"),
    ("consults_mdtmeeting", "consults_mdtmeeting_signed", "OLD.signed_at IS NOT NULL",
     "a signed MDT conclusion cannot be changed or deleted"),
    ("consults_teleconsult", "consults_teleconsult_closed", "OLD.status = 'closed'",
     "a closed tele-consultation cannot be changed or deleted"),
    ("consults_consultmessage", "consults_consultmessage_sent", "",
     "a sent consultation message cannot be changed or deleted"),
]  # fmt: skip

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION tiercare_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'restrict_violation';
END; $$ LANGUAGE plpgsql
"""
OLD_0002 = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS consults_secondopinion_signed_immutable ON consults_secondopinion",
        "DROP FUNCTION IF EXISTS consults_secondopinion_refuse_signed_update()",
    ],
    "sqlite": ["DROP TRIGGER IF EXISTS consults_secondopinion_signed_immutable"],
}


def _statements(vendor: str) -> list[str]:
    out = list(OLD_0002[vendor])
    if vendor == "postgresql":
        out.append(PG_FUNCTION)
    for table, stem, when, message in RULES:
        for op in ("UPDATE", "DELETE"):
            name = f"{stem}_no_{op.lower()}"
            if vendor == "postgresql":
                out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                condition = f"WHEN ({when}) " if when else ""
                out.append(
                    f"CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW {condition}"
                    f"EXECUTE FUNCTION tiercare_refuse_change('{message}')"
                )
            else:
                out.append(f"DROP TRIGGER IF EXISTS {name}")
                condition = f"WHEN {when} " if when else ""
                out.append(
                    f"CREATE TRIGGER {name} BEFORE {op} ON {table} {condition}"
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
    return out


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in OLD_0002:
        for statement in _statements(vendor):
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, stem, _when, _message in RULES:
        for op in ("update", "delete"):
            suffix = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {stem}_no_{op}{suffix}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("consults", "0002_signed_opinion_immutable_trigger"),
        ("core", "0007_audit_monthly_partitions_append_only"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
