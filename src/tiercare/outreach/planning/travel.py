"""Travel between an expert's home and a site (``_trip_hours``): round-trip hours from the expert's home
(OutreachProfile coordinates, else the main institution's) to the site, from an imported TravelTime row when there
is one, else great-circle distance × ROAD_FACTOR ÷ AVERAGE_SPEED_KMH, each way; and the day-trip limit
(``MAX_TRIP_HOURS``)."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings

from tiercare.network.models import Organization, Practitioner
from tiercare.outreach.models import OutreachProfile, TravelTime

ROAD_FACTOR = float(getattr(settings, "OUTREACH_ROAD_FACTOR", 1.3))
"""Road distance ÷ great-circle distance; ~1.3 on Sichuan's plain (set OUTREACH_ROAD_FACTOR)."""
AVERAGE_SPEED_KMH = float(getattr(settings, "OUTREACH_AVERAGE_SPEED_KMH", 70.0))
MAX_TRIP_HOURS = float(getattr(settings, "OUTREACH_MAX_TRIP_HOURS", 8.0))
"""The longest round trip an expert makes in a day (the issue's day-trip limit)."""


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _trip_hours(
    experts: list[Practitioner], sites: list[Organization], profiles: dict[Any, OutreachProfile]
) -> dict[tuple[str, str], float]:
    homes = {e.home_organization_id for e in experts}
    matrix = {
        (t.origin_id, t.destination_id): float(t.hours)
        for t in TravelTime.objects.filter(origin_id__in=homes, destination_id__in=[s.pk for s in sites])
    }
    back = {
        (t.destination_id, t.origin_id): float(t.hours)
        for t in TravelTime.objects.filter(destination_id__in=homes, origin_id__in=[s.pk for s in sites])
    }
    out: dict[tuple[str, str], float] = {}
    for e in experts:
        home = e.home_organization
        prof = profiles.get(e.pk)
        lat = prof.latitude if prof and prof.latitude is not None else (home.latitude if home else None)
        lon = prof.longitude if prof and prof.longitude is not None else (home.longitude if home else None)
        for s in sites:
            key = (e.home_organization_id, s.pk)
            if key in matrix and not (prof and prof.latitude is not None):
                hours = matrix[key] + back.get(key, matrix[key])
            elif home is not None and home.pk == s.pk:
                hours = 0.0
            elif lat is None or lon is None or s.latitude is None or s.longitude is None:
                hours = MAX_TRIP_HOURS * 10  # unknown distance: never a day trip
            else:
                hours = 2 * haversine_km(lat, lon, s.latitude, s.longitude) * ROAD_FACTOR / AVERAGE_SPEED_KMH
            out[(str(e.pk), str(s.pk))] = round(hours, 1)
    return out
