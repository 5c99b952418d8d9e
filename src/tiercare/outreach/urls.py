from django.urls import path

from tiercare.outreach import cancel_views, views

app_name = "outreach"
urlpatterns = [
    path("plan/", views.plan_board, name="plan"),
    path("plan/new/", views.plan_new, name="plan_new"),
    path("plan/runs/<uuid:run_id>/", views.plan_run_status, name="plan_run"),
    path("plan/<uuid:plan_id>/confirm/", views.plan_confirm, name="plan_confirm"),
    path("plan/<uuid:plan_id>/assignments/<uuid:assignment_id>/", views.plan_adjust, name="plan_adjust"),
    path("calendar/", views.expert_calendar, name="calendar"),
    path("availability/", views.availability, name="availability"),
    path("requests/", views.coordinator_page, name="coordinator"),
    path("sessions/<uuid:session_id>/", views.session_detail, name="session"),
    path("sessions/<uuid:session_id>/report/", views.session_report, name="session_report"),
    path("requests/<uuid:request_id>/cancel/", cancel_views.request_cancel, name="request_cancel"),
    path("bookings/<uuid:booking_id>/cancel/", cancel_views.booking_cancel, name="booking_cancel"),
    path("ics/expert/<str:token>.ics", views.ics_expert, name="ics_expert"),
    path("ics/site/<str:token>.ics", views.ics_site, name="ics_site"),
]
