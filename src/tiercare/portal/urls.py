from django.urls import path

from tiercare.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.family_home, name="home"),
    path("login/", views.sms_login, name="login"),
    path("members/<str:person_id>/", views.member, name="member"),
    path("referrals/<str:referral_id>/document.pdf", views.referral_document, name="referral_document"),
    path("clinics/", views.sessions, name="sessions"),
    path("clinics/<str:session_id>/book/", views.book, name="book"),
    path("bookings/<str:booking_id>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<str:booking_id>/calendar.ics", views.booking_ics, name="booking_ics"),
    path("reading/", views.reading, name="education"),
    path("reminders/", views.reminder_settings, name="reminders"),
    path("team/persons/<str:person_id>/education/", views.team_education, name="team_education"),
    path("team/persons/<str:person_id>/proxies/", views.team_proxies, name="team_proxies"),
]
urlpatterns += [
    path("gp-visits/", views.gp_visit_book, name="gp_visit_book"),
    path("gp-visits/<str:visit_id>/cancel/", views.gp_visit_cancel, name="gp_visit_cancel"),
    path("gp-visits/<str:visit_id>/calendar.ics", views.gp_visit_ics, name="gp_visit_ics"),
    path("team/<str:team_id>/visits/", views.team_visits, name="team_visits"),
]
