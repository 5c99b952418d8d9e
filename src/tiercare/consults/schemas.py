"""The consults API's input and output shapes."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from ninja import Field, Schema


class CaseIn(Schema):
    person: uuid.UUID
    question: str = Field(min_length=1, max_length=4000)
    history: str = Field("", max_length=8000)
    findings: str = Field("", max_length=8000)
    current_treatment: str = Field("", max_length=4000)


class AttachmentOut(Schema):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    url: str

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return f"/consults/attachments/{obj.pk}/"


class CaseOut(Schema):
    id: uuid.UUID
    person: uuid.UUID = Field(alias="person_id")
    person_name: str
    requesting_org: uuid.UUID = Field(alias="requesting_org_id")
    requesting_org_name: str
    requested_by: str
    question: str
    history: str
    findings: str
    current_treatment: str
    retain_until: str
    created_at: datetime

    @staticmethod
    def resolve_person_name(obj: Any) -> str:
        return obj.person.name

    @staticmethod
    def resolve_requesting_org_name(obj: Any) -> str:
        return obj.requesting_org.name

    @staticmethod
    def resolve_requested_by(obj: Any) -> str:
        return obj.requested_by.username

    @staticmethod
    def resolve_retain_until(obj: Any) -> str:
        return obj.retain_until.isoformat()


class CaseDetailOut(CaseOut):
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.attachments.all())


class WorkIn(Schema):
    case: uuid.UUID
    specialty: str = Field(min_length=1, max_length=30)
    priority: str = Field("routine", pattern="^(routine|urgent)$")
    expert: uuid.UUID | None = None


class WorkOut(Schema):
    id: uuid.UUID
    case: uuid.UUID = Field(alias="case_id")
    specialty: str
    priority: str
    status: str
    expert: uuid.UUID | None = Field(None, alias="expert_id")
    expert_name: str
    basis: str
    basis_reference: str
    agreement: uuid.UUID | None = Field(None, alias="agreement_id")
    deadline: datetime
    first_answer_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_expert_name(obj: Any) -> str:
        return obj.expert.name if obj.expert_id else ""


class MessageOut(Schema):
    id: uuid.UUID
    author: str
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Any) -> str:
        return str(obj.author)


class TeleconsultOut(WorkOut):
    outcome: str
    closed_at: datetime | None
    filed_to: uuid.UUID | None = Field(None, alias="filed_to_id")


class TeleconsultDetailOut(TeleconsultOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(obj: Any) -> list[Any]:
        return list(obj.messages.select_related("author"))


class MessageIn(Schema):
    body: str = Field(min_length=1, max_length=8000)


class CloseIn(Schema):
    outcome: str = Field(min_length=1, max_length=40)
    note: str = Field("", max_length=8000)


class ConsultReasonIn(Schema):
    reason: str = Field("", max_length=300)


class AddendumOut(Schema):
    id: uuid.UUID
    text: str
    signed_by: str
    signed_at: datetime

    @staticmethod
    def resolve_signed_by(obj: Any) -> str:
        return str(obj.signed_by)


class OpinionOut(WorkOut):
    text: str
    signed_by: str
    signed_at: datetime | None
    addenda: list[AddendumOut]

    @staticmethod
    def resolve_signed_by(obj: Any) -> str:
        return str(obj.signed_by) if obj.signed_by_id else ""

    @staticmethod
    def resolve_addenda(obj: Any) -> list[Any]:
        return list(obj.addenda.all())  # selectors prefetch them with their signers


class OpinionPatch(Schema):
    text: str = Field(max_length=20000)


class SignIn(Schema):
    text: str | None = Field(None, max_length=20000)


class TextIn(Schema):
    text: str = Field(min_length=1, max_length=8000)


class MdtIn(Schema):
    case: uuid.UUID
    specialties: list[str] = Field(min_length=2, max_length=10)
    deadline: datetime
    coordinator: str | None = Field(None, max_length=150, description="username of the operations coordinator")


class ParticipantOut(Schema):
    practitioner: uuid.UUID = Field(alias="practitioner_id")
    name: str
    specialty: str
    basis: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.practitioner.name


class MeetingOut(Schema):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    chair: uuid.UUID = Field(alias="chair_id")
    video_link: str
    minutes: str
    conclusion: str
    action: str
    care_plan: str
    signed_at: datetime | None
    participants: list[ParticipantOut]

    @staticmethod
    def resolve_participants(obj: Any) -> list[Any]:
        return list(obj.participants.all())  # selectors prefetch them with their practitioners


class MdtOut(Schema):
    id: uuid.UUID
    case: uuid.UUID = Field(alias="case_id")
    specialties: list[str]
    site: uuid.UUID = Field(alias="site_id")
    deadline: datetime
    status: str
    created_at: datetime
    meeting: MeetingOut | None

    @staticmethod
    def resolve_meeting(obj: Any) -> Any:
        return getattr(obj, "meeting", None)


class SlotOut(Schema):
    starts_at: datetime
    ends_at: datetime
    experts: dict[str, uuid.UUID]
    continuity: int


class BookIn(Schema):
    starts_at: datetime
    experts: dict[str, uuid.UUID]
    chair: uuid.UUID | None = None
    video_link: str = Field("", max_length=200)


class MinutesIn(Schema):
    minutes: str = Field("", max_length=20000)
    video_link: str | None = Field(None, max_length=200)


class ConclusionIn(Schema):
    conclusion: str = Field(min_length=1, max_length=8000)
    action: str = Field("", pattern="^(|care_plan|referral)$")
    care_plan: str = Field("", max_length=8000)


class WorkFilter(Schema):
    status: str | None = Field(None, max_length=20)


class MeetingHoursIn(Schema):
    weekday: int = Field(ge=0, le=6, strict=True, description="0 = Monday … 6 = Sunday")
    start: time
    end: time


class MeetingHoursOut(Schema):
    id: uuid.UUID
    weekday: int
    start: time
    end: time


# --- online follow-ups: e-prescriptions (issue 16) -----------------------------------------------------------------
class PrescriptionLineOut(Schema):
    drug: str
    name: str
    drug_class: str
    dose: str
    supply_days: int


class EPrescriptionOut(Schema):
    """An e-prescription as a dispensing system sees it: ``valid`` only once a pharmacist approved it."""

    id: uuid.UUID
    consult: uuid.UUID
    person: uuid.UUID
    institution: uuid.UUID
    doctor: str
    diagnosis: str
    lines: list[PrescriptionLineOut]
    content_sha256: str
    signature_matches: bool
    signed_at: datetime
    status: str
    valid: bool
    reviewed_by: str
    reviewed_at: datetime | None
    return_reason: str
    dispensed_at: datetime | None

    @staticmethod
    def resolve_consult(obj: Any) -> uuid.UUID:
        return obj.consult_id

    @staticmethod
    def resolve_person(obj: Any) -> uuid.UUID:
        return obj.person_id

    @staticmethod
    def resolve_institution(obj: Any) -> uuid.UUID:
        return obj.institution_id

    @staticmethod
    def resolve_doctor(obj: Any) -> str:
        return str(obj.content.get("doctor_name", ""))

    @staticmethod
    def resolve_diagnosis(obj: Any) -> str:
        return str(obj.content.get("diagnosis", ""))

    @staticmethod
    def resolve_signature_matches(obj: Any) -> bool:
        from tiercare.consults.services.online import content_digest

        return content_digest(obj.content) == obj.content_sha256

    @staticmethod
    def resolve_valid(obj: Any) -> bool:
        return bool(obj.is_valid)

    @staticmethod
    def resolve_reviewed_by(obj: Any) -> str:
        return obj.reviewed_by.username if obj.reviewed_by_id else ""


class PrescriptionFilter(Schema):
    status: str | None = None
