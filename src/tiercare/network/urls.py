from django.urls import include, path

from tiercare.network import views

app_name = "network"
urlpatterns = [
    path("experts/", views.experts, name="experts"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/<uuid:org_id>/", views.organization_detail, name="organization"),
    path("overview/", views.overview, name="overview"),
    path("pickers/experts/", views.expert_search, name="expert-search"),
    path("pickers/departments/", views.department_search, name="department-search"),
    path("excel/", include("tiercare.network.excel_urls")),
]
