from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tiercare.referrals"
    label = "referrals"
