from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "tiercare.portal"
    label = "portal"
