"""The facts that earn money, read from the workflow apps (finance sits above them and only reads them):

- a held expert session with its report: surgery sessions by the grade of each surgery (手术分级 1–4), one line per
  grade with the number of surgeries; a clinic per patient seen; a ward round and a teaching session per session;
- an answered tele-consultation (the expert's first answer), per consultation;
- a signed second opinion, per opinion;
- a concluded MDT (its conclusion signed), one line per participating expert;
- a signed family-doctor contract, per contract, by its service package;
- a closed online follow-up consultation (consults, issue 16), per consultation, at its institution; the doctor's
  share is an expert's when the doctor is one of the doctor group's, else it stays with the institution (a family
  doctor of the center, as for a contract). One stopped to send the patient to a visit in person is not charged.

A line is one ``(fact_kind, fact_id, item)``; the charge it makes is unique on that key.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from tiercare.care.models import CareContract
from tiercare.consults.models import MdtCase, MdtStatus, OnlineConsult, OnlineStatus, SecondOpinion, Teleconsult
from tiercare.finance.models import ChargedFact, FactKind, Service
from tiercare.outreach.models import ExpertSession, SessionKind, SessionStatus


@dataclass(frozen=True)
class FactLine:
    fact_kind: str
    fact_id: uuid.UUID
    item: str
    service: str
    hospital_id: uuid.UUID
    expert_id: uuid.UUID | None
    occurred_on: date
    quantity: int
    description: str


def _day(moment: object) -> date:
    return timezone.localdate(moment)  # type: ignore[arg-type]


def session_lines(session: ExpertSession) -> list[FactLine]:
    report = getattr(session, "report", None)
    if report is None or session.status != SessionStatus.HELD:
        return []
    base = {
        "fact_kind": FactKind.SESSION,
        "fact_id": session.pk,
        "hospital_id": session.site_id,
        "expert_id": session.expert_id,
        "occurred_on": session.date,
        "description": session.department.name,
    }
    if session.kind == SessionKind.SURGERY:
        by_grade: dict[int, int] = defaultdict(int)
        for surgery in report.surgeries or []:
            grade, count = int(surgery.get("grade", 0)), int(surgery.get("count", 1) or 0)
            if 1 <= grade <= 4 and count > 0:
                by_grade[grade] += count
        return [
            FactLine(item=f"grade_{g}", service=f"surgery_{g}", quantity=n, **base)  # type: ignore[arg-type]
            for g, n in sorted(by_grade.items())
        ]
    if session.kind == SessionKind.CLINIC:
        if report.cases_seen <= 0:
            return []
        return [FactLine(item="clinic", service=Service.CLINIC, quantity=report.cases_seen, **base)]  # type: ignore[arg-type]
    service = Service.WARD_ROUND if session.kind == SessionKind.WARD_ROUND else Service.TEACHING
    return [FactLine(item=str(service), service=service, quantity=1, **base)]  # type: ignore[arg-type]


def _case_line(kind: str, service: str, answer: Teleconsult | SecondOpinion, at: object) -> list[FactLine]:
    """One line for an expert's answer to a hard case (a tele-consultation's first answer, a signed opinion), at the
    requesting hospital, on the day of ``at``; nothing while unanswered or without an expert."""
    if at is None or answer.expert_id is None:
        return []
    return [
        FactLine(
            fact_kind=kind,
            fact_id=answer.pk,
            item="",
            service=service,
            hospital_id=answer.case.requesting_org_id,
            expert_id=answer.expert_id,
            occurred_on=_day(at),
            quantity=1,
            description=answer.specialty,
        )
    ]


def teleconsult_lines(tc: Teleconsult) -> list[FactLine]:
    return _case_line(FactKind.TELECONSULT, Service.TELECONSULT, tc, tc.first_answer_at)


def opinion_lines(op: SecondOpinion) -> list[FactLine]:
    return _case_line(FactKind.OPINION, Service.SECOND_OPINION, op, op.signed_at)


def mdt_lines(mdt: MdtCase) -> list[FactLine]:
    meeting = getattr(mdt, "meeting", None)
    if mdt.status != MdtStatus.CONCLUDED or meeting is None or meeting.signed_at is None:
        return []
    return [
        FactLine(
            fact_kind=FactKind.MDT,
            fact_id=mdt.pk,
            item=str(p.practitioner_id),
            service=Service.MDT,
            hospital_id=mdt.site_id,
            expert_id=p.practitioner_id,
            occurred_on=_day(meeting.signed_at),
            quantity=1,
            description=p.specialty,
        )
        for p in meeting.participants.all()
    ]


def contract_lines(contract: CareContract) -> list[FactLine]:
    return [
        FactLine(
            fact_kind=FactKind.CONTRACT,
            fact_id=contract.pk,
            item="",
            service=f"package_{contract.package}",
            hospital_id=contract.team.center_id,
            expert_id=None,
            occurred_on=contract.start,
            quantity=1,
            description=contract.team.name,
        )
    ]


def online_lines(consult: OnlineConsult) -> list[FactLine]:
    if consult.status != OnlineStatus.CLOSED or consult.closed_at is None:
        return []
    return [
        FactLine(
            fact_kind=FactKind.ONLINE,
            fact_id=consult.pk,
            item="",
            service=Service.ONLINE_CONSULT,
            hospital_id=consult.institution_id,
            expert_id=consult.doctor_id if consult.doctor.doctor_group_id else None,
            occurred_on=_day(consult.closed_at),
            quantity=1,
            description=consult.diagnosis_label,
        )
    ]


def _unswept(qs: QuerySet, kind: str) -> QuerySet:
    return qs.exclude(Exists(ChargedFact.objects.filter(fact_kind=kind, fact_id=OuterRef("pk"))))


def pending_facts() -> Iterator[tuple[str, object, list[FactLine]]]:
    """Every fact that earns money and that the charging has not looked at yet, with its lines."""
    sessions = ExpertSession.objects.filter(status=SessionStatus.HELD, report__isnull=False).select_related(
        "report", "department"
    )
    for s in _unswept(sessions, FactKind.SESSION).iterator(chunk_size=500):
        yield FactKind.SESSION, s, session_lines(s)
    tcs = Teleconsult.objects.filter(first_answer_at__isnull=False, expert__isnull=False).select_related("case")
    for tc in _unswept(tcs, FactKind.TELECONSULT).iterator(chunk_size=500):
        yield FactKind.TELECONSULT, tc, teleconsult_lines(tc)
    ops = SecondOpinion.objects.filter(signed_at__isnull=False, expert__isnull=False).select_related("case")
    for op in _unswept(ops, FactKind.OPINION).iterator(chunk_size=500):
        yield FactKind.OPINION, op, opinion_lines(op)
    mdts = MdtCase.objects.filter(status=MdtStatus.CONCLUDED, meeting__signed_at__isnull=False).select_related(
        "meeting"
    )
    for mdt in _unswept(mdts, FactKind.MDT).prefetch_related("meeting__participants").iterator(chunk_size=200):
        yield FactKind.MDT, mdt, mdt_lines(mdt)
    contracts = CareContract.objects.filter(signed_by__isnull=False).select_related("team")
    for c in _unswept(contracts, FactKind.CONTRACT).iterator(chunk_size=500):
        yield FactKind.CONTRACT, c, contract_lines(c)
    onlines = OnlineConsult.objects.filter(status=OnlineStatus.CLOSED, closed_at__isnull=False).select_related("doctor")
    for oc in _unswept(onlines, FactKind.ONLINE).iterator(chunk_size=500):
        yield FactKind.ONLINE, oc, online_lines(oc)


def lines_of(kind: str, fact_id: Any) -> list[FactLine]:
    """The lines of one fact, read afresh (an unknown or not-yet-earning fact has none)."""
    if kind == FactKind.SESSION:
        s = ExpertSession.objects.filter(pk=fact_id).select_related("report", "department").first()
        return session_lines(s) if s else []
    if kind == FactKind.TELECONSULT:
        tc = Teleconsult.objects.filter(pk=fact_id).select_related("case").first()
        return teleconsult_lines(tc) if tc else []
    if kind == FactKind.OPINION:
        op = SecondOpinion.objects.filter(pk=fact_id).select_related("case").first()
        return opinion_lines(op) if op else []
    if kind == FactKind.MDT:
        mdt = MdtCase.objects.filter(pk=fact_id).select_related("meeting").first()
        return mdt_lines(mdt) if mdt else []
    if kind == FactKind.CONTRACT:
        c = CareContract.objects.filter(pk=fact_id).select_related("team").first()
        return contract_lines(c) if c else []
    if kind == FactKind.ONLINE:
        oc = OnlineConsult.objects.filter(pk=fact_id).select_related("doctor").first()
        return online_lines(oc) if oc else []
    return []
