"""Signed records are append-only in the database itself: raw SQL through ``connection.cursor()`` can neither change
any column of a signed row (status, case, expert, text, signature…) nor delete it, on SQLite and PostgreSQL alike
(run this file with DATABASE_URL=postgres://… for the second). Unsigned rows stay editable."""

from __future__ import annotations

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from tiercare.consults import services
from tiercare.consults.models import ConsultMessage, MdtMeeting, OpinionAddendum, SecondOpinion, Teleconsult
from tiercare.network.models import Practitioner

pytestmark = pytest.mark.django_db
TEXT = "诊断：川崎病可能性大。建议：完善心脏超声，静脉丙种球蛋白。"


def refused(sql: str, params: list) -> bool:
    """Whether the database refuses ``sql``; the refusal leaves the test's transaction usable."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        return True
    return False


def pk(value) -> str:
    return value.hex if connection.vendor == "sqlite" else str(value)


@pytest.fixture
def other_case(cast, net):
    return services.case_create(by=cast.gp, person=cast.patient_person, question="另一个问题：咳嗽两周")


@pytest.fixture
def signed(cast, net, case):
    op = services.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    services.opinion_sign(by=cast.expert, opinion=op, text=TEXT)
    op.refresh_from_db()
    return op


@pytest.mark.parametrize(
    ("sql", "param"),
    [
        ("UPDATE consults_secondopinion SET status = 'cancelled' WHERE id = %s", None),
        ("UPDATE consults_secondopinion SET case_id = %s WHERE id = %s", "other_case"),
        ("UPDATE consults_secondopinion SET expert_id = %s WHERE id = %s", "expert2"),
        ("UPDATE consults_secondopinion SET text = 'tampered' WHERE id = %s", None),
        ("UPDATE consults_secondopinion SET signed_at = NULL WHERE id = %s", None),
        ("UPDATE consults_secondopinion SET retain_until = '2027-01-01' WHERE id = %s", None),
        ("DELETE FROM consults_secondopinion WHERE id = %s", None),
    ],
)
def test_signed_opinion_refuses_every_update_and_delete(signed, other_case, net, sql, param):
    extra = {"other_case": [pk(other_case.pk)], "expert2": [pk(net.expert2_practitioner.pk)], None: []}[param]
    before = SecondOpinion.objects.values().get(pk=signed.pk)
    assert refused(sql, [*extra, pk(signed.pk)])
    assert SecondOpinion.objects.values().get(pk=signed.pk) == before


def test_unsigned_opinion_is_still_a_draft_the_database_lets_change(cast, net, case):
    op = services.opinion_request(by=cast.gp, case=case, specialty="pediatrics")
    assert not refused("UPDATE consults_secondopinion SET text = 'draft' WHERE id = %s", [pk(op.pk)])
    assert SecondOpinion.objects.get(pk=op.pk).text == "draft"


def test_addendum_refuses_update_and_delete(cast, signed):
    add = services.opinion_addendum(by=cast.expert, opinion=signed, text="更正：剂量2g/kg")
    assert refused("UPDATE consults_opinionaddendum SET text = 'x' WHERE id = %s", [pk(add.pk)])
    assert refused("UPDATE consults_opinionaddendum SET opinion_id = opinion_id WHERE id = %s", [pk(add.pk)])
    assert refused("DELETE FROM consults_opinionaddendum WHERE id = %s", [pk(add.pk)])
    assert OpinionAddendum.objects.get(pk=add.pk).text == "更正：剂量2g/kg"


@pytest.fixture
def meeting(cast, net, mdt):
    [first, *_] = services.mdt_propose(mdt=mdt)
    experts = {s: Practitioner.objects.get(pk=k) for s, k in first.experts.items()}
    return services.mdt_book(by=cast.ops, mdt=mdt, starts_at=first.starts_at, experts=experts)


def test_signed_mdt_conclusion_refuses_update_and_delete_unsigned_does_not(cast, net, meeting):
    assert not refused("UPDATE consults_mdtmeeting SET minutes = 'notes' WHERE id = %s", [pk(meeting.pk)])
    with time_machine.travel(meeting.starts_at, tick=False):
        services.mdt_conclude(by=cast.expert, meeting=meeting, conclusion="保守治疗")
    for sql in (
        "UPDATE consults_mdtmeeting SET conclusion = 'tampered' WHERE id = %s",
        "UPDATE consults_mdtmeeting SET minutes = 'rewritten' WHERE id = %s",
        "UPDATE consults_mdtmeeting SET chair_id = %s WHERE id = %s",
        "UPDATE consults_mdtmeeting SET signed_at = NULL WHERE id = %s",
        "DELETE FROM consults_mdtmeeting WHERE id = %s",
    ):
        params = [pk(net.expert2_practitioner.pk), pk(meeting.pk)] if "chair_id" in sql else [pk(meeting.pk)]
        assert refused(sql, params), sql
    row = MdtMeeting.objects.get(pk=meeting.pk)
    assert row.conclusion == "保守治疗" and row.minutes == "notes" and row.signed_at is not None


def test_closed_teleconsult_and_its_thread_refuse_update_and_delete(cast, net, case):
    tc = services.teleconsult_request(by=cast.gp, case=case, specialty="pediatrics")
    msg = services.teleconsult_message(by=cast.expert, teleconsult=tc, body="建议完善心脏超声")
    assert refused("UPDATE consults_consultmessage SET body = 'x' WHERE id = %s", [pk(msg.pk)])
    assert refused("DELETE FROM consults_consultmessage WHERE id = %s", [pk(msg.pk)])
    # Open, it still moves (reminders, reroutes); closed, it is filed and frozen.
    assert not refused("UPDATE consults_teleconsult SET priority = priority WHERE id = %s", [pk(tc.pk)])
    services.teleconsult_close(by=cast.expert, teleconsult=tc, outcome="advice_only_referral_avoided")
    assert refused("UPDATE consults_teleconsult SET status = 'cancelled' WHERE id = %s", [pk(tc.pk)])
    assert refused("UPDATE consults_teleconsult SET outcome = 'referral_needed' WHERE id = %s", [pk(tc.pk)])
    assert refused("DELETE FROM consults_teleconsult WHERE id = %s", [pk(tc.pk)])
    assert Teleconsult.objects.get(pk=tc.pk).outcome == "advice_only_referral_avoided"
    assert ConsultMessage.objects.get(pk=msg.pk).body == "建议完善心脏超声"
