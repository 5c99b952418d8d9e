from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "tiercare.people"
    label = "people"
