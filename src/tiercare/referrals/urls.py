from django.urls import path

from tiercare.referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("new/", views.create, name="create"),
    path("capacity/", views.capacity, name="capacity"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("<uuid:referral_id>/", views.detail, name="detail"),
    path("<uuid:referral_id>/move/", views.move, name="move"),
    path("<uuid:referral_id>/attach/", views.attach, name="attach"),
    path("<uuid:referral_id>/attachments/<uuid:attachment_id>/", views.attachment, name="attachment"),
]
