from django.urls import path

from tiercare.care import reading_views
from tiercare.consults import mdt_views, online_views, views

app_name = "consults"
urlpatterns = [
    path("", views.index, name="index"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case"),
    path("cases/<uuid:case_id>/attachments/", views.attachment_add, name="attachment_add"),
    path("cases/<uuid:case_id>/teleconsults/", views.teleconsult_new, name="teleconsult_new"),
    path("cases/<uuid:case_id>/opinions/", views.opinion_new, name="opinion_new"),
    path("cases/<uuid:case_id>/mdt/", views.mdt_new, name="mdt_new"),
    path("teleconsults/<uuid:tc_id>/", views.teleconsult_detail, name="teleconsult"),
    path("teleconsults/<uuid:tc_id>/answer/", views.teleconsult_answer, name="teleconsult_answer"),
    path("teleconsults/<uuid:tc_id>/decline/", views.teleconsult_decline, name="teleconsult_decline"),
    path("teleconsults/<uuid:tc_id>/reply/", views.teleconsult_reply, name="teleconsult_reply"),
    path("teleconsults/<uuid:tc_id>/cancel/", views.teleconsult_cancel, name="teleconsult_cancel"),
    path("opinions/<uuid:opinion_id>/", views.opinion_detail, name="opinion"),
    path("opinions/<uuid:opinion_id>/edit/", views.opinion_edit, name="opinion_edit"),
    path("opinions/<uuid:opinion_id>/addendum/", views.opinion_addendum, name="opinion_addendum"),
    path("opinions/<uuid:opinion_id>/decline/", views.opinion_decline, name="opinion_decline"),
    path("opinions/<uuid:opinion_id>/cancel/", views.opinion_cancel, name="opinion_cancel"),
    path("mdt/<uuid:mdt_id>/", mdt_views.mdt_detail, name="mdt"),
    path("mdt/<uuid:mdt_id>/book/", mdt_views.mdt_book, name="mdt_book"),
    path("mdt/<uuid:mdt_id>/minutes/", mdt_views.mdt_minutes, name="mdt_minutes"),
    path("mdt/<uuid:mdt_id>/conclusion/", mdt_views.mdt_conclude, name="mdt_conclude"),
    path("hours/", mdt_views.hours, name="hours"),
    path("hours/<uuid:hours_id>/remove/", mdt_views.hours_remove, name="hours_remove"),
    path("attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment"),
    path("dashboard/", views.dashboard, name="dashboard"),
    # online follow-up consultations (issue 16): the patient's pages are mobile-first
    path("online/", online_views.index, name="online"),
    path("online/new/", online_views.new, name="online_new"),
    path("online/readings/", reading_views.my_readings, name="online_readings"),
    path("online/pharmacy/", online_views.pharmacy, name="online_pharmacy"),
    path("online/<uuid:consult_id>/", online_views.consult_detail, name="online_consult"),
    path("online/<uuid:consult_id>/messages/", online_views.message, name="online_message"),
    path("online/<uuid:consult_id>/reauth/", online_views.reauth, name="online_reauth"),
    path("online/<uuid:consult_id>/prescriptions/", online_views.prescribe, name="online_prescribe"),
    path("online/<uuid:consult_id>/stop/", online_views.stop, name="online_stop"),
    path("online/<uuid:consult_id>/close/", online_views.close, name="online_close"),
    path("online/photos/<uuid:message_id>/", online_views.photo, name="online_photo"),
    path("online/prescriptions/<uuid:prescription_id>/", online_views.prescription, name="online_prescription"),
    path("online/prescriptions/<uuid:prescription_id>/review/", online_views.review, name="online_review"),
    path("online/prescriptions/<uuid:prescription_id>/dispense/", online_views.dispense, name="online_dispense"),
]
