from django.urls import path

from tiercare.care import center_views, contract_views, reading_views, views

app_name = "care"
urlpatterns = [
    path("", views.index, name="index"),
    path("teams/<uuid:team_id>/worklists/<str:kind>/", views.worklist, name="worklist"),
    path("teams/<uuid:team_id>/contracts-ending/", views.contracts_ending, name="contracts_ending"),
    path("contracts/<uuid:contract_id>/renew/", views.contract_renew, name="contract_renew"),
    path("centers/<uuid:center_id>/worklists/<str:kind>/", center_views.center_worklist, name="center_worklist"),
    path("centers/<uuid:center_id>/lead/", center_views.center_lead, name="center_lead"),
    path("centers/<uuid:center_id>/target/", center_views.target_decide, name="target_decide"),
    path("enrollments/<uuid:enrollment_id>/end/", views.enrollment_end, name="enrollment_end"),
    path("households/<uuid:household_id>/", views.household, name="household"),
    path("households/<uuid:household_id>/contract/", contract_views.household_contract, name="household-contract"),
    path("households/<uuid:household_id>/contract/sign/", contract_views.contract_sign, name="contract-sign"),
    path("contracts/<uuid:contract_id>/end/", contract_views.contract_end, name="contract-end"),
    path("teams/", contract_views.team_list, name="teams"),
    path("teams/new/", contract_views.team_new, name="team-new"),
    path("teams/<uuid:team_id>/", contract_views.team_detail, name="team"),
    path("teams/<uuid:team_id>/members/", contract_views.team_member_add, name="team-member-add"),
    path("team-members/<uuid:member_id>/end/", contract_views.team_member_end, name="team-member-end"),
    path("persons/<uuid:person_id>/", views.person, name="person"),
    path("persons/<uuid:person_id>/enrollments/", views.enrol, name="enrol"),
    path("persons/<uuid:person_id>/medications/", views.medication_new, name="medication_new"),
    path("enrollments/<uuid:enrollment_id>/followups/", views.followup_new, name="followup_new"),
    path("enrollments/<uuid:enrollment_id>/calls/", views.call_new, name="call_new"),
    path("followups/<uuid:followup_id>/void/", views.followup_void, name="followup_void"),
    path("referral-suggestions/<uuid:suggestion_id>/refer/", views.suggestion_refer, name="suggestion_refer"),
    path("referral-suggestions/<uuid:suggestion_id>/dismiss/", views.suggestion_dismiss, name="suggestion_dismiss"),
    path("me/", views.my_plan, name="my_plan"),
    path("home-readings/<uuid:reading_id>/handled/", reading_views.reading_handle, name="reading_handle"),
    path("dashboard/", center_views.dashboard, name="dashboard"),
]
