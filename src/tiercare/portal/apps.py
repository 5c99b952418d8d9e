from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "tiercare.portal"
    label = "portal"

    def ready(self) -> None:
        from tiercare.portal.content import register_templates

        register_templates()
