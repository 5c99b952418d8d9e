from django.urls import path

from tiercare.workspace import history, views

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/persons/<uuid:person_id>/", history.person_history_page, name="audit_person_history"),
]
