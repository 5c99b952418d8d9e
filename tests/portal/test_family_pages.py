"""The family's own pages: the mother sees herself and the child she holds a proxy for (not her husband, not another
household), each with plan, next visit and what to bring; referrals with place and map; documents; every read
audited; every other id 404 (audited)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client

from tests import factories as f
from tests.pdf import pdf_text
from tests.portal.conftest import TZ, make_referral
from tiercare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_family_page_lists_self_and_held_members_only(cast, family):
    appointment = datetime.combine(f.today() + timedelta(days=3), datetime.min.time(), TZ).replace(hour=9)
    make_referral(cast, family.child, scheduled_for=appointment)
    response = _client(family.mother).get("/family/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "陈丽" in page and "陈小宝" in page
    assert "陈强" not in page  # the husband: same household, no proxy
    assert "张三" not in page and "王五" not in page
    assert "儿童呼吸科" in page and "uri.amap.com" in page  # the child's next visit, its place on a map
    assert "医保卡" in page  # what to bring
    event = AuditEvent.objects.filter(actor=family.mother, reason="family page").latest("at")
    assert set(event.person_ids) == {family.mother_person.pk, family.child.pk}


def test_member_page_shows_referral_state_booking_and_document(cast, family):
    r = make_referral(
        cast,
        family.child,
        status="back_referred",
        discharge_summary="哮喘控制良好，出院。",
        care_plan="吸入激素3个月，社区每月随访。",
    )
    response = _client(family.mother).get(f"/family/members/{family.child.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "出院小结和下转方案" in page and "示例大学附属医院" in page
    assert f"/family/referrals/{r.pk}/document.pdf" in page
    assert AuditEvent.objects.filter(actor=family.mother, action="read", person_id=family.child.pk).exists()
    pdf = _client(family.mother).get(f"/family/referrals/{r.pk}/document.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "吸入激素3个月" in text and "陈小宝" in text


@pytest.mark.parametrize("who", ["husband", "other_household", "garbage"])
def test_no_page_opens_a_member_the_login_does_not_hold(cast, family, who):
    target = {"husband": family.father.pk, "other_household": cast.person_b.pk, "garbage": "not-a-uuid"}[who]
    response = _client(family.mother).get(f"/family/members/{target}/")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=family.mother, action="denied").exists()


def test_another_households_referral_document_and_booking_are_404(cast, family):
    from tiercare.outreach.models import Booking

    other = make_referral(cast, cast.person_b, status="back_referred", discharge_summary="出院", care_plan="随访")
    booking = Booking.objects.create(session=family.clinic, place_number=1, person=cast.person_b, booked_by=cast.admin)
    c = _client(family.mother)
    for url in (
        f"/family/referrals/{other.pk}/document.pdf",
        f"/family/bookings/{booking.pk}/calendar.ics",
    ):
        assert c.get(url).status_code == 404, url
    assert c.post(f"/family/bookings/{booking.pk}/cancel/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == "active"


def test_the_other_apps_apis_refuse_the_mother_the_husbands_record(cast, family, api):
    """Cross-household and cross-member through the APIs of people and care: 404 for everything not held."""
    for target in (family.father.pk, cast.person_b.pk, cast.patient_person.pk):
        assert api(family.mother).get(f"persons/{target}")[0] == 404
        assert api(family.mother).get(f"care/persons/{target}/plan")[0] == 404
    assert api(family.mother).get(f"persons/{family.child.pk}")[0] == 200
    status, body = api(family.mother).get("persons")
    assert status == 200 and {p["id"] for p in body["items"]} == {str(family.mother_person.pk), str(family.child.pk)}
    assert api(family.mother).get(f"households/{cast.household_b.pk}")[0] == 404


def test_staff_are_sent_away_from_the_family_pages(cast, family):
    assert _client(cast.gp).get("/family/").status_code == 403
    assert Client().get("/family/").status_code == 302  # to sign in
