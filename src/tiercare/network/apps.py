from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "tiercare.network"
    label = "network"
