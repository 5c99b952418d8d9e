from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "tiercare.outreach"
    label = "outreach"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from tiercare.outreach import planning

        # Track whether this thread serves a web request, so that the roster solver refuses to run there.
        request_started.connect(planning.request_started, dispatch_uid="outreach.planning.request_started")
        request_finished.connect(planning.request_finished, dispatch_uid="outreach.planning.request_finished")
