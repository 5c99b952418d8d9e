"""The audit log page for auditors and administrators: who did what to whose record, when and why, in words.

Filters: the user (username or name), the action, the person (name, pinyin, initials, the last 4 characters of the
ID, or the mobile number — what an auditor has in hand, never an internal id) and a range of Beijing-time days. The
filters are a form (a bad value is named beside its field, the rest still apply) and stay on the page links. Several
persons matching the text are listed to choose from. Names shown (the matches, the persons of the events on the
page) are themselves a read of those persons' records and are audited as one event.

In the workspace app because it names people (people app) and users (core) together; core may not import people.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tiercare.core.access import require_role
from tiercare.core.audit import audit_patient_read
from tiercare.core.http import AuthedRequest
from tiercare.core.models import AuditAction, AuditEvent, Role, User
from tiercare.people.models import Person
from tiercare.workspace.audit_words import object_label, reason_label, role_label

PAGE_SIZE = 100
MAX_MATCHES = 20
PERSON_NAMES_PER_EVENT = 3


class AuditLogFilters(forms.Form):
    actor = forms.CharField(label=gettext_lazy("User"), required=False, max_length=150)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False, choices=[("", "—"), *AuditAction.choices])
    person = forms.CharField(
        label=gettext_lazy("Person"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("Name, pinyin, initials, last 4 of the ID, or mobile"),
    )
    since = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data


def persons_matching(text: str) -> list[Person]:
    """Everyone whose record matches what an auditor has in hand (auditors see the whole network's log, so this
    search is not scoped to a care relationship; what it shows is audited by the caller)."""
    needle = text.strip()
    try:
        return list(Person.objects.filter(pk=uuid.UUID(needle)).select_related("membership__household"))
    except ValueError:
        pass
    lower = needle.lower()
    q = Q(name__icontains=needle) | Q(name_pinyin__startswith=lower) | Q(name_initials__startswith=lower)
    if re.fullmatch(r"[0-9Xx]{4}", needle):
        q |= Q(id_last4__iexact=needle)
    if re.fullmatch(r"1\d{10}", needle):
        q |= Q(phone=needle)
    qs = Person.objects.filter(q).select_related("membership__household").order_by("name_pinyin", "name", "id")
    return list(qs[: MAX_MATCHES + 1])


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _filtered(data: dict[str, Any], person: Person | None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    actor = (data.get("actor") or "").strip()
    if actor:
        ids = User.objects.filter(
            Q(username__iexact=actor) | Q(display_name__icontains=actor) | Q(last_name__icontains=actor)
        ).values_list("pk", flat=True)
        qs = qs.filter(Q(actor_id__in=list(ids[:200])) | Q(actor_username__iexact=actor))
    if data.get("action"):
        qs = qs.filter(action=data["action"])
    if data.get("since"):
        qs = qs.filter(at__gte=_local_midnight(data["since"]))
    if data.get("until"):
        qs = qs.filter(at__lt=_local_midnight(data["until"] + timedelta(days=1)))
    if person is not None:
        qs = qs.about_person(person.pk)
        if connection.vendor == "postgresql":  # the GIN index, not a walk of ``at`` (see core.audit)
            return qs.order_by(RawSQL("core_auditevent.at + interval '0 seconds'", []).desc(), "-id")
    return qs.order_by("-at", "-id")


def audit_rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Events as the pages show them: Beijing time, the user's name, role, action, object and reason in words, the
    names of the persons concerned (the first few, and how many more)."""
    actor_ids = {e.actor_id for e in events if e.actor_id}
    actors = {u.pk: u for u in User.objects.filter(pk__in=actor_ids).only("id", "username", "display_name")}
    shown_ids = {pid for e in events for pid in (e.person_ids or [])[:PERSON_NAMES_PER_EVENT]}
    names = dict(Person.objects.filter(pk__in=shown_ids).values_list("pk", "name"))
    rows = []
    for e in events:
        user = actors.get(e.actor_id) if e.actor_id else None
        person_ids = list(e.person_ids or [])
        rows.append(
            {
                "event": e,
                "at": timezone.localtime(e.at),
                "actor": str(user) if user else (e.actor_username or _("system")),
                "actor_username": e.actor_username,
                "role": role_label(e.actor_role) if e.actor_role else "",
                "action": e.get_action_display(),
                "object": object_label(e.object_type),
                "persons": [{"id": pid, "name": names.get(pid, "—")} for pid in person_ids[:PERSON_NAMES_PER_EVENT]],
                "more_persons": max(0, len(person_ids) - PERSON_NAMES_PER_EVENT),
                "reason": reason_label(e.reason),
                "ip": e.ip,
            }
        )
    return rows


def audit_rows_person_ids(rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    return [p["id"] for r in rows for p in r["persons"]]


def _query_without(request: AuthedRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@login_required
def audit_log(request: AuthedRequest) -> HttpResponse:
    user = request.user
    require_role(user, Role.AUDITOR, Role.ADMIN)
    form = AuditLogFilters(request.GET or None)
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
    person: Person | None = None
    matches: list[Person] = []
    text = (data.get("person") or "").strip()
    if text:
        matches = persons_matching(text)
        if len(matches) == 1:
            person = matches[0]
        elif not matches:
            form.add_error("person", _("No person matches “%(text)s”.") % {"text": text})
    choosing = len(matches) > 1
    qs = AuditEvent.objects.none() if choosing else _filtered(data, person)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = audit_rows(list(page.object_list))
    shown = [*(p.pk for p in matches[:MAX_MATCHES]), *audit_rows_person_ids(rows)]
    if shown:
        audit_patient_read(actor=user, person_ids=shown, object_type="core.auditevent", reason="audit log")
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "person": person,
        "matches": matches[:MAX_MATCHES] if choosing else [],
        "too_many": len(matches) > MAX_MATCHES,
        "query": _query_without(request, "page", "lang"),
        "choose_query": _query_without(request, "page", "lang", "person"),
    }
    return render(request, "workspace/audit_log.html", context)
