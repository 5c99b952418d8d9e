from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tiercare.demo"
    label = "demo"
