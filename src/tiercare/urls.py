from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from tiercare.api import api


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for a load balancer, and the bare-Django baseline of bench/load.py: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
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
    path("programs/", include("tiercare.programs.urls")),
    path("triage/", include("tiercare.triage.urls")),
    path("finance/", include("tiercare.finance.urls")),
    path("", include("tiercare.profiles.urls")),
    path("family/", include("tiercare.portal.urls")),
]
