"""Acting on a referral suggestion from the person page: the team makes the referral up (the referrals service's
rules and messages apply) or dismisses the suggestion with a reason. A refusal comes back in the form, 422, and
stores nothing; another team gets 404 and the patient 403, and nothing changes.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import translation
from tests.care.factories import (
    HTN_OK,
    HX,
    followup,
    page_client,
    page_text,
    second_team,
)

from tiercare.care.models import ReferralSuggestion
from tiercare.core.errors import ValidationFailed
from tiercare.core.models import AuditEvent
from tiercare.referrals import services as referral_services
from tiercare.referrals.models import Referral

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-06-01 10:00 +0800", tick=False):
        yield


def _refer_data(s, dept, **kw) -> dict:
    data = {"receiving_department": str(dept.pk), "diagnosis_text": "高血压 2 级", "diagnosis_code": "I10", **kw}
    return {f"refer-{s.pk}-{k}": v for k, v in data.items()}


def _refer(c, s, dept, headers=HX, **kw):
    return c.post(f"/care/referral-suggestions/{s.pk}/refer/", _refer_data(s, dept, **kw), **headers)


def _dismiss(c, s, reason, headers=HX):
    return c.post(f"/care/referral-suggestions/{s.pk}/dismiss/", {f"dismiss-{s.pk}-reason": reason}, **headers)


def _panel(body: str, s) -> str:
    """The open suggestion's panel on the page ('' if it is not there)."""
    parts = body.split(f'id="suggestion-{s.pk}"')
    return parts[1].split('class="panel')[0] if len(parts) > 1 else ""


def _form_errors(body: str, form_id: str) -> str:
    m = re.search(rf'id="{form_id}".*?<div class="errors" role="alert">([^<]*)</div>', body, re.S)
    return m.group(1) if m else ""


def _assert_untouched(s, e):
    s.refresh_from_db()
    assert (s.status, s.referral, s.acted_by, s.acted_at, s.dismiss_reason) == ("open", None, None, None, "")
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 8, 26)
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(object_type="care.referralsuggestion", action="update").exists()


# --- the person page ------------------------------------------------------------------------------------------


def test_person_page_shows_the_open_suggestion_with_its_two_forms(cast, dept, suggestion):
    body = page_text(page_client(cast.health_manager).get(f"/care/persons/{cast.patient_person.pk}/"))
    panel = _panel(body, suggestion)
    assert "建议转诊至上级医院" in panel and "HTN-UNSAT-2X" in panel
    # why, in the page's language: the rule's own Chinese explanation, not the engine's English sentence
    (rule,) = [r for r in suggestion.followup.fired_rules if r["id"] == "HTN-UNSAT-2X"]
    assert rule["explanation_zh"] in panel and rule["explanation_en"] not in panel and suggestion.reason not in panel
    assert f"{suggestion.specialty}" not in re.sub(r"<[^>]+>", " ", panel)  # the department named, not its code
    assert 'class="badge bad"' not in panel  # not urgent
    assert f'id="refer-form-{suggestion.pk}"' in panel and f'id="dismiss-form-{suggestion.pk}"' in panel
    # the department is chosen with the search picker, which offers tertiary departments only (no list of options)
    assert f'name="refer-{suggestion.pk}-receiving_department"' in panel and "<option value=" not in panel
    assert "/directory/pickers/departments/?tier=tertiary" in panel
    found = page_text(
        page_client(cast.health_manager).get("/directory/pickers/departments/", {"q": "科", "tier": "tertiary"})
    )
    assert str(dept.pk) in found and str(cast.dept_a.pk) not in found  # hospital A's pediatrics is not offered
    assert f'name="refer-{suggestion.pk}-diagnosis_text"' in panel and f'name="dismiss-{suggestion.pk}-reason"' in panel


def test_in_english_the_suggestion_gives_the_english_explanation(cast, suggestion):
    c = page_client(cast.gp)
    c.cookies["django_language"] = "en"
    panel = _panel(page_text(c.get(f"/care/persons/{cast.patient_person.pk}/")), suggestion)
    (rule,) = [r for r in suggestion.followup.fired_rules if r["id"] == "HTN-UNSAT-2X"]
    assert rule["explanation_en"] in panel and rule["explanation_zh"] not in panel


def test_an_urgent_suggestion_has_the_urgent_badge(cast, e, dept):
    fu = followup(cast.gp, e, date(2026, 5, 30), {**HTN_OK, "sbp_mmhg": 182, "dbp_mmhg": 100})
    s = ReferralSuggestion.objects.get(followup=fu)
    assert s.urgent
    panel = _panel(page_text(page_client(cast.gp).get(f"/care/persons/{cast.patient_person.pk}/")), s)
    assert 'class="badge bad"' in panel and "紧急" in panel


def test_the_patient_sees_no_suggestion_forms(cast, suggestion):
    body = page_text(page_client(cast.patient).get("/care/me/"))
    assert "refer-form" not in body and "dismiss-form" not in body


# --- making the referral --------------------------------------------------------------------------------------


def test_gp_makes_the_referral_from_the_page(cast, dept, consent, e, suggestion):
    r = _refer(page_client(cast.gp), suggestion, dept, green_channel="on", summary="两次随访血压未达标")
    assert r.status_code == 200
    ref = Referral.objects.get()
    assert (ref.person, ref.receiving_department, ref.urgency, ref.consent) == (
        cast.patient_person, dept, "routine", consent,
    )  # fmt: skip
    assert (ref.diagnosis_text, ref.diagnosis_code, ref.green_channel, ref.summary) == (
        "高血压 2 级", "I10", True, "两次随访血压未达标",
    )  # fmt: skip
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.referral, suggestion.acted_by) == ("taken", ref, cast.gp)
    e.refresh_from_db()
    assert e.next_due_on == TODAY + timedelta(days=14)
    body = page_text(r)
    result = body.split('id="suggestion-result"')[1].split("</div>")[0]
    assert "已转诊" in result and f'href="/referrals/{ref.pk}/"' in result
    assert f'id="suggestion-{suggestion.pk}"' not in body  # no longer open
    assert "<html" not in body


def test_without_javascript_the_referral_redirects_to_the_page_with_the_result(cast, dept, consent, suggestion):
    c = page_client(cast.health_manager)
    r = _refer(c, suggestion, dept, headers={})
    assert r.status_code == 302
    assert r["Location"] == f"/care/persons/{cast.patient_person.pk}/?suggestion={suggestion.pk}#suggestion-result"
    body = page_text(c.get(r["Location"]))
    ref = Referral.objects.get()
    assert "<html" in body and "已转诊" in body and f'href="/referrals/{ref.pk}/"' in body
    assert f'id="suggestion-{suggestion.pk}"' not in body


def test_without_consent_the_referral_services_message_is_shown_in_the_form(cast, dept, e, suggestion):
    r = _refer(page_client(cast.gp), suggestion, dept)
    assert r.status_code == 422
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as direct:
        referral_services.referral_create(
            by=cast.gp, person=cast.patient_person, receiving_department=dept, reason="x", diagnosis_text="x"
        )
    assert direct.value.code == "consent_missing"
    body = page_text(r)
    shown = _form_errors(body, f"refer-form-{suggestion.pk}")
    assert shown and shown in direct.value.message and not shown.startswith("consent")
    panel = _panel(body, suggestion)
    assert 'value="高血压 2 级"' in panel  # the form comes back as typed
    # instead of a dead end, the page offers to record the referral consent in place, then come back here
    assert 'id="consent-offer"' in body
    assert f"/people/consents/new/?person={cast.patient_person.pk}&purpose=referral&next=%2Fcare%2Fpersons%2F" in body
    _assert_untouched(suggestion, e)


def test_a_missing_diagnosis_is_named_next_to_its_field(cast, dept, consent, e, suggestion):
    r = _refer(page_client(cast.gp), suggestion, dept, diagnosis_text="")
    assert r.status_code == 422
    assert f'id="id_refer-{suggestion.pk}-diagnosis_text-error"' in page_text(r)
    _assert_untouched(suggestion, e)


# --- dismissing -----------------------------------------------------------------------------------------------


def test_health_manager_dismisses_the_suggestion_with_a_reason(cast, e, suggestion):
    r = _dismiss(page_client(cast.health_manager), suggestion, "患者拒绝转诊，已加强随访")
    assert r.status_code == 200
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.dismiss_reason, suggestion.acted_by, suggestion.referral) == (
        "dismissed", "患者拒绝转诊，已加强随访", cast.health_manager, None,
    )  # fmt: skip
    body = page_text(r)
    result = body.split('id="suggestion-result"')[1].split("</div>")[0]
    assert "不予转诊" in result and "患者拒绝转诊，已加强随访" in result
    assert f'id="suggestion-{suggestion.pk}"' not in body
    assert not Referral.objects.exists()
    e.refresh_from_db()
    assert e.next_due_on == date(2026, 8, 26)  # dismissing does not move the follow-up
    assert AuditEvent.objects.filter(
        object_type="care.referralsuggestion", object_id=str(suggestion.pk), action="update"
    ).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_dismissing_without_a_reason_is_refused_next_to_the_field(cast, e, suggestion, reason):
    r = _dismiss(page_client(cast.gp), suggestion, reason)
    assert r.status_code == 422
    m = re.search(rf'id="id_dismiss-{suggestion.pk}-reason-error"[^>]*>([^<]+)<', page_text(r))
    assert m is not None
    _assert_untouched(suggestion, e)


# --- refusals -------------------------------------------------------------------------------------------------


def test_a_gp_of_another_team_gets_404_and_nothing_changes(cast, dept, consent, e, suggestion):
    _team_b, gp_b, _household_b, _person_b = second_team(cast)
    c = page_client(gp_b)
    assert _refer(c, suggestion, dept).status_code == 404
    assert _dismiss(c, suggestion, "不需要").status_code == 404
    assert c.get(f"/care/persons/{cast.patient_person.pk}/").status_code == 404
    _assert_untouched(suggestion, e)
    denied = AuditEvent.objects.filter(actor=gp_b, action="denied", object_type="care.referralsuggestion")
    assert denied.count() == 2


def test_the_patient_gets_403_and_nothing_changes(cast, dept, consent, e, suggestion):
    c = page_client(cast.patient)
    assert _refer(c, suggestion, dept).status_code == 403
    assert _dismiss(c, suggestion, "不需要").status_code == 403
    _assert_untouched(suggestion, e)


def test_acting_on_a_decided_suggestion_shows_the_decision(cast, dept, consent, e, suggestion):
    c = page_client(cast.gp)
    assert _dismiss(c, suggestion, "已在上级医院就诊").status_code == 200
    r = _refer(c, suggestion, dept)
    assert r.status_code == 422
    result = page_text(r).split('id="suggestion-result"')[1].split("</div>")[0]
    assert "不予转诊" in result and 'role="alert"' in result
    assert not Referral.objects.exists()
    suggestion.refresh_from_db()
    assert suggestion.status == "dismissed"
