from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ninja import Field, Schema


class VisitOut(Schema):
    on: date
    at: datetime | None = None
    what: str
    place: str
    map_url: str
    bring: list[str]


class ProxyOut(Schema):
    kind: str
    valid_until: date | None


class FamilyMemberOut(Schema):
    id: UUID
    name: str
    is_self: bool
    proxy: ProxyOut | None
    programs: list[str]
    next_visit: VisitOut | None
    visits: list[VisitOut]


class FamilyBookingIn(Schema):
    session: UUID = Field(description="A public specialist clinic (an outreach session of kind clinic)")
    person: UUID = Field(description="The patient, or a member the caller holds a proxy for")


class FamilyBookingOut(Schema):
    id: UUID
    session: UUID
    person: UUID
    place_number: int
    status: str
    date: date
    half_day: str
    site: str
    department: str
    expert: str
