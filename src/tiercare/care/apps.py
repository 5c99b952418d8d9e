from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "tiercare.care"
    label = "care"

    def ready(self) -> None:
        from tiercare.care.teams import end_memberships_of_leaver
        from tiercare.people.signals import person_left

        person_left.connect(end_memberships_of_leaver, dispatch_uid="care_end_memberships_of_leaver")
