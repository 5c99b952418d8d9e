# An expert's MDT meeting hours outside working hours (issue 12: no weekend or night slot unless marked).

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consults", "0003_signed_records_append_only"),
        ("network", "0003_constraint_messages"),
    ]

    operations = [
        migrations.CreateModel(
            name="MeetingHours",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "created_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, editable=False, verbose_name="created"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                ("weekday", models.PositiveSmallIntegerField(verbose_name="weekday")),
                ("start", models.TimeField(verbose_name="from")),
                ("end", models.TimeField(verbose_name="to")),
                (
                    "practitioner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="mdt_hours",
                        to="network.practitioner",
                    ),
                ),
            ],
            options={
                "verbose_name": "MDT meeting hours",
                "verbose_name_plural": "MDT meeting hours",
                "ordering": ["weekday", "start"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("weekday__lte", 6)), name="mdt_hours_weekday"),
                    models.CheckConstraint(
                        condition=models.Q(("end__gt", models.F("start"))),
                        name="mdt_hours_times",
                        violation_error_message="end: the end is not after the start.",
                    ),
                    models.UniqueConstraint(
                        fields=("practitioner", "weekday", "start"),
                        name="mdt_hours_once",
                        violation_error_message="start: you already marked hours starting then on that day.",
                    ),
                ],
            },
        ),
    ]
