from django.urls import path

from tiercare.workspace import views

urlpatterns = [path("", views.home, name="home")]
