from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "tiercare.triage"
    label = "triage"
