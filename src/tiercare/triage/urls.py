from django.urls import path

from tiercare.triage import views

app_name = "triage"

urlpatterns = [
    path("", views.triage_page, name="index"),
    path("registrations/", views.registrations_page, name="registrations"),
]
