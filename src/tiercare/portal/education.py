"""Education texts (``data/education.json``): the care team sends a topic to a person; the family reads it on
their page. Sent once per person and topic (database-enforced); an SMS tells them (unless they opted out)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiercare.core.access import require_role
from tiercare.core.audit import audit_write
from tiercare.core.errors import Conflict, ValidationFailed
from tiercare.core.models import AuditAction, Role, User
from tiercare.core.notify import notify_on_commit
from tiercare.people.models import Person
from tiercare.portal.content import check, template_for, topics
from tiercare.portal.models import EducationSent, ReminderKind
from tiercare.portal.reminders import opted_out_ids, recipients

EDUCATION_SENDERS = (Role.GP, Role.HEALTH_MANAGER, Role.ADMIN)


def education_send(*, by: User, person: Person, topic_id: str) -> EducationSent:
    """Send topic ``topic_id`` to ``person`` (resolved by the caller through ``people.access`` for a care-team
    member). Refused for an unknown topic or one already sent."""
    require_role(by, *EDUCATION_SENDERS)
    topic = topics().get(topic_id or "")
    if topic is None:
        raise ValidationFailed(_("topic: choose a topic."), code="validation_error", details={"field": "topic"})
    try:
        with transaction.atomic():
            row = EducationSent.objects.create(person=person, topic_id=topic.id, sent_by=by, sent_at=timezone.now())
            audit_write(actor=by, action=AuditAction.CREATE, obj=row, changes={"topic": topic.id})
            if person.pk not in opted_out_ids({person.pk}):
                template = template_for(ReminderKind.EDUCATION)
                params = check({"name": person.name, "title": topic.title["zh"]}, template)
                for phone in recipients(person, timezone.localdate()):
                    notify_on_commit(phone, template.code, params)
    except IntegrityError as exc:
        raise Conflict(_("This text was already sent to this person."), code="already_sent") from exc
    return row


def education_mark_read(*, by: User, row: EducationSent) -> None:
    if row.read_at is None:
        EducationSent.objects.filter(pk=row.pk, read_at__isnull=True).update(read_at=timezone.now())
