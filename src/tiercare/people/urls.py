from django.urls import path

from tiercare.people import views

app_name = "people"
urlpatterns = [
    path("households/", views.households, name="households"),
    path("households/<uuid:household_id>/", views.household_detail, name="household"),
]
