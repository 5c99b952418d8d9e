from django.urls import path

from tiercare.consults import views

app_name = "consults"
urlpatterns = [
    path("", views.index, name="index"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case"),
    path("opinions/<uuid:opinion_id>/", views.opinion_detail, name="opinion"),
    path("opinions/<uuid:opinion_id>/edit/", views.opinion_edit, name="opinion_edit"),
    path("opinions/<uuid:opinion_id>/addendum/", views.opinion_addendum, name="opinion_addendum"),
    path("attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
