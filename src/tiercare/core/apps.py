from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tiercare.core"
    label = "core"
