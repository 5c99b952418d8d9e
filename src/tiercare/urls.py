from django.contrib import admin
from django.urls import include, path

from tiercare.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("tiercare.core.urls")),
    path("", include("tiercare.workspace.urls")),
    path("directory/", include("tiercare.network.urls")),
    path("people/", include("tiercare.people.urls")),
    path("outreach/", include("tiercare.outreach.urls")),
    path("consults/", include("tiercare.consults.urls")),
    path("referrals/", include("tiercare.referrals.urls")),
    path("care/", include("tiercare.care.urls")),
]
