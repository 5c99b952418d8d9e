from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "tiercare.care"
    label = "care"

    def ready(self) -> None:
        from tiercare.care.scope import household_team_q
        from tiercare.care.teams import end_memberships_of_leaver
        from tiercare.people.signals import person_left
        from tiercare.people.team_scope import register_team_scope

        person_left.connect(end_memberships_of_leaver, dispatch_uid="care_end_memberships_of_leaver")
        # People sits below care and reaches care's team scope only through this registration (ADR 0005).
        register_team_scope(household_team_q)
