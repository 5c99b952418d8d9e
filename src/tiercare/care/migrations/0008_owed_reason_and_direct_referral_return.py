# Issue 11: why a follow-up is owed (screening path, urgent re-check, referral), and a direct referral that comes
# back (declined, cancelled, expired) as an open suggestion without a follow-up.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0007_merge_index_lifecycle_variants"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="followup_owed_reason",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="referralsuggestion",
            name="followup",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="referral_suggestion",
                to="care.followup",
            ),
        ),
    ]
