from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "tiercare.outreach"
    label = "outreach"
