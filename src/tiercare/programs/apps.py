from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "tiercare.programs"
    label = "programs"
