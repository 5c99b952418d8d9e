from django.apps import AppConfig


class ConsultsConfig(AppConfig):
    name = "tiercare.consults"
    label = "consults"
