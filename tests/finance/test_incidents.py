"""Issue 15 item 8: incidents and disputes recorded against the work they arose from, the malpractice insurer told
once after the commit, moved open → insurer notified → under review → closed, scoped and audited like patient data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories as f
from tests.outreach.factories import make_session
from tiercare.core.errors import Conflict, NotFound, ValidationFailed
from tiercare.core.models import AuditAction, AuditEvent, Role
from tiercare.core.notify import InMemoryBackend
from tiercare.finance import services
from tiercare.finance.access import access_incident_by_id
from tiercare.finance.models import Incident, IncidentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox() -> Any:
    InMemoryBackend.outbox.clear()
    yield
    InMemoryBackend.outbox.clear()


@pytest.fixture
def session(cast: Any) -> Any:
    return make_session(cast.expert_practitioner, cast.dept_a, on=timezone.localdate() - timedelta(days=3))


def record(cast: Any, session: Any, by: Any = None, **kw: Any) -> Incident:
    return services.incident_record(
        by=by or cast.ops,
        kind=kw.pop("kind", "adverse_event"),
        source=session,
        occurred_on=kw.pop("occurred_on", session.date),
        summary=kw.pop("summary", "术后切口感染"),
        **kw,
    )


def move(cast: Any, incident: Incident, to: str, **kw: Any) -> Incident:
    return services.incident_move(
        by=cast.ops, incident=incident, to=to, reason=kw.pop("reason", "保险公司已受理"), **kw
    )


def test_insurer_named_on_the_valid_policy_is_told_once_after_commit(
    cast: Any, session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = record(cast, session)
        assert InMemoryBackend.outbox == []  # nothing before the commit
    assert len(callbacks) == 1
    for cb in callbacks:
        cb()
    assert [n.recipient for n in InMemoryBackend.outbox] == ["insurer:人保财险"]
    assert incident.policy_number in InMemoryBackend.outbox[0].text
    assert "赵专家" in InMemoryBackend.outbox[0].text and "不良事件" in InMemoryBackend.outbox[0].text
    assert incident.hospital == cast.hospital_a and incident.expert == cast.expert_practitioner
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="finance.incident").count() == 1


def test_a_lapsed_policy_is_not_told(cast: Any, session: Any, django_capture_on_commit_callbacks: Any) -> None:
    cast.expert_practitioner.insurance_policies.update(valid_from=session.date + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        incident = record(cast, session)
    assert callbacks == [] and InMemoryBackend.outbox == []
    assert incident.insurer == ""


def test_states_move_one_step_each_recorded_and_illegal_moves_refused(cast: Any, session: Any) -> None:
    incident = record(cast, session, kind="dispute")
    with pytest.raises(Conflict, match="已结案"):
        move(cast, incident, IncidentStatus.CLOSED, outcome="settled")
    with pytest.raises(Conflict):
        move(cast, incident, IncidentStatus.UNDER_REVIEW)
    incident = move(cast, incident, IncidentStatus.INSURER_NOTIFIED)
    incident = move(cast, incident, IncidentStatus.UNDER_REVIEW)
    with pytest.raises(ValidationFailed) as exc:
        move(cast, incident, IncidentStatus.CLOSED)
    assert exc.value.details == {"field": "outcome"}
    with pytest.raises(ValidationFailed):
        move(cast, incident, IncidentStatus.CLOSED, outcome="settled", reason=" ")
    incident = move(cast, incident, IncidentStatus.CLOSED, outcome="settled", reason="双方调解达成协议")
    with pytest.raises(Conflict):
        move(cast, incident, IncidentStatus.UNDER_REVIEW)
    steps = [(t.from_status, t.to_status, t.by, t.reason) for t in incident.transitions.all()]
    assert steps[1:] == [
        ("open", "insurer_notified", cast.ops, "保险公司已受理"),
        ("insurer_notified", "under_review", cast.ops, "保险公司已受理"),
        ("under_review", "closed", cast.ops, "双方调解达成协议"),
    ]
    assert incident.outcome == "settled"
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(incident.pk)).count() == 3


def test_only_operations_move_an_incident(cast: Any, session: Any) -> None:
    incident = record(cast, session)
    for user in (cast.coordinator, cast.expert, cast.auditor):
        with pytest.raises(Exception):  # noqa: B017 - Forbidden
            services.incident_move(by=user, incident=incident, to="insurer_notified", reason="x")
    assert Incident.objects.get().status == "open"


def test_coordinator_records_their_own_hospital_only(cast: Any, session: Any) -> None:
    assert record(cast, session, by=cast.coordinator).recorded_by == cast.coordinator
    with pytest.raises(ValidationFailed):
        record(cast, session, by=cast.outsider)
    with pytest.raises(ValidationFailed):
        record(cast, session, occurred_on=timezone.localdate() + timedelta(days=1))
    other = f.PractitionerFactory(name="钱专家")
    with pytest.raises(ValidationFailed) as exc:
        record(cast, session, expert=other)
    assert exc.value.details == {"field": "expert"}


def test_scope_and_audited_reads(cast: Any, session: Any) -> None:
    incident = record(cast, session)
    other_expert = f.UserFactory(username="expert_b", role=Role.EXPERT)
    f.PractitionerFactory(user=other_expert)
    finance = f.UserFactory(username="fin", role=Role.FINANCE)
    for user in (cast.ops, finance, cast.coordinator, cast.expert):
        assert access_incident_by_id(user, incident.pk) == incident
    for user in (cast.outsider, other_expert, cast.gp, cast.patient):
        with pytest.raises(NotFound):
            access_incident_by_id(user, incident.pk)
        assert AuditEvent.objects.filter(
            actor=user, action=AuditAction.DENIED, object_type="finance.incident", object_id=str(incident.pk)
        ).exists()
    assert AuditEvent.objects.filter(
        actor=cast.coordinator, action=AuditAction.READ, object_type="finance.incident"
    ).exists()


def test_pages_record_with_errors_beside_the_field_and_move(cast: Any, session: Any) -> None:
    client = Client()
    client.force_login(cast.coordinator)
    url = "/finance/incidents/"
    page = client.get(url)
    assert page.status_code == 200 and f"session:{session.pk}" in page.content.decode()
    bad = client.post(
        url, {"kind": "dispute", "source": f"session:{session.pk}", "occurred_on": "2099-01-01", "summary": "家属投诉"}
    )
    body = bad.content.decode()
    assert bad.status_code == 422 and "不能是将来" in body and "家属投诉" in body
    ok = client.post(
        url,
        {
            "kind": "dispute",
            "source": f"session:{session.pk}",
            "occurred_on": session.date.isoformat(),
            "summary": "家属投诉",
        },
    )
    incident = Incident.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/finance/incidents/{incident.pk}/"
    assert (
        client.post(f"/finance/incidents/{incident.pk}/", {"to": "insurer_notified", "reason": "x"}).status_code == 403
    )
    ops = Client()
    ops.force_login(cast.ops)
    refused = ops.post(f"/finance/incidents/{incident.pk}/", {"to": "closed", "outcome": "settled", "reason": "和解"})
    assert refused.status_code == 422 and "不能转为" in refused.content.decode()
    assert (
        ops.post(f"/finance/incidents/{incident.pk}/", {"to": "insurer_notified", "reason": "已报案"}).status_code
        == 302
    )
    assert "甲县人民医院" in ops.get("/").content.decode()  # the workspace panel lists it
    outsider = Client()
    outsider.force_login(cast.outsider)
    assert outsider.get(f"/finance/incidents/{incident.pk}/").status_code == 404
    assert outsider.get(url).context["incidents"] == []
    # a session of another hospital's coordinator is refused as a source (404, nothing stored)
    stranger = outsider.post(
        url,
        {"kind": "dispute", "source": f"session:{session.pk}", "occurred_on": session.date.isoformat(), "summary": "x"},
    )
    assert stranger.status_code == 422 and Incident.objects.count() == 1


def test_api_list_detail_create_move_and_wrong_users(cast: Any, session: Any, api: Any) -> None:
    ops = api(cast.ops)
    status, body = ops.post(
        "finance/incidents",
        {"kind": "adverse_event", "source_kind": "session", "source_id": str(session.pk),
         "occurred_on": session.date.isoformat(), "summary": "术中出血"},
    )  # fmt: skip
    assert status == 201 and body["status"] == "open" and body["insurer"] == "人保财险"
    iid = body["id"]
    status, body = ops.post(
        f"finance/incidents/{iid}/transitions", {"to": "closed", "reason": "x", "outcome": "settled"}
    )
    assert status == 409 and body["code"]
    status, body = ops.post(f"finance/incidents/{iid}/transitions", {"to": "insurer_notified", "reason": "已报案"})
    assert status == 200 and [t["to_status"] for t in body["transitions"]] == ["open", "insurer_notified"]
    assert api(cast.expert).get(f"finance/incidents/{iid}")[0] == 200
    assert api(cast.outsider).get(f"finance/incidents/{iid}")[0] == 404
    assert api(cast.outsider).get("finance/incidents")[1]["count"] == 0
    assert api(cast.coordinator).get("finance/incidents")[1]["count"] == 1
    assert (
        api(cast.coordinator).post(f"finance/incidents/{iid}/transitions", {"to": "under_review", "reason": "x"})[0]
        == 403
    )
    # another hospital's coordinator names a session they may not see: 404, nothing stored
    status, _body = api(cast.outsider).post(
        "finance/incidents",
        {"kind": "dispute", "source_kind": "session", "source_id": str(session.pk),
         "occurred_on": session.date.isoformat(), "summary": "x"},
    )  # fmt: skip
    assert status == 404 and Incident.objects.count() == 1
    # an expert records nothing through the API
    status, _body = api(cast.expert).post(
        "finance/incidents",
        {"kind": "dispute", "source_kind": "session", "source_id": str(session.pk),
         "occurred_on": session.date.isoformat(), "summary": "x"},
    )  # fmt: skip
    assert status == 403 and Incident.objects.count() == 1


def test_a_read_of_an_incident_naming_a_patient_is_audited_as_their_record(cast: Any, session: Any, api: Any) -> None:
    incident = record(cast, session, person=cast.patient_person)
    assert api(cast.ops).get(f"finance/incidents/{incident.pk}")[0] == 200
    assert (
        AuditEvent.objects.about_person(cast.patient_person.pk)
        .filter(actor=cast.ops, action=AuditAction.READ, object_type="finance.incident")
        .exists()
    )
    assert api(cast.ops).get("finance/incidents")[1]["count"] == 1
    assert (
        AuditEvent.objects.about_person(cast.patient_person.pk)
        .filter(actor=cast.ops, action=AuditAction.LIST, object_type="finance.incident")
        .exists()
    )
