from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "tiercare.care"
    label = "care"
