from django.urls import path

from tiercare.workspace import audit_log, history, views

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", audit_log.audit_log, name="audit_log"),
    path("audit/persons/<uuid:person_id>/", history.person_history_page, name="audit_person_history"),
]
