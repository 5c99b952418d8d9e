"""The site's URLs with a stand-in for the people app's consent page (``people:consent-new``), which another part of
issue 12 builds: lets the consults pages' link to it be tested before it lands."""

from django.http import HttpResponse
from django.urls import include, path

from tiercare import urls as site
from tiercare.people import urls as people_urls


def consent_new(request):  # pragma: no cover - only its URL is used
    return HttpResponse("consent")


people = ([*people_urls.urlpatterns, path("consents/new/", consent_new, name="consent-new")], "people")
urlpatterns = [
    path("people/", include(people)),
    *[p for p in site.urlpatterns if getattr(p, "namespace", None) != "people"],
]
