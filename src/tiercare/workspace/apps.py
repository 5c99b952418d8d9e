from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "tiercare.workspace"
    label = "workspace"
