from django.urls import path

from tiercare.people import consent_views, views

app_name = "people"
urlpatterns = [
    path("households/", views.households, name="households"),
    path("households/new/", views.household_new, name="household-new"),
    path("households/<uuid:household_id>/", views.household_detail, name="household"),
    path("households/<uuid:household_id>/members/", views.member_new, name="member-new"),
    path("persons/<uuid:person_id>/", views.person_detail, name="person"),
    path("persons/<uuid:person_id>/move/", views.person_move, name="person-move"),
    path("persons/<uuid:person_id>/leave/", views.person_leave, name="person-leave"),
    path("persons/<uuid:person_id>/edit/", views.person_edit, name="person-edit"),
    path("households/<uuid:household_id>/edit/", views.household_edit, name="household-edit"),
    path("consents/new/", consent_views.consent_new, name="consent-new"),
    path("consents/sms-code/", consent_views.consent_sms, name="consent-sms"),
    path("consents/<uuid:consent_id>/withdraw/", consent_views.consent_withdraw, name="consent-withdraw"),
    path("consents/<uuid:consent_id>/document/", consent_views.consent_document, name="consent-document"),
    path("pickers/persons/", views.person_search, name="person-search"),
    path("pickers/households/", views.household_search, name="household-search"),
]
