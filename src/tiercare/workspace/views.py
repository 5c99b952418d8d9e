"""The home workspace: one page per role with what that role acts on first."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from tiercare.core.audit import audit_patient_read
from tiercare.core.http import AuthedRequest
from tiercare.core.models import AuditEvent, Role
from tiercare.network import selectors as network
from tiercare.network.models import Organization
from tiercare.people import selectors as people
from tiercare.workspace.audit_log import audit_rows, audit_rows_person_ids
from tiercare.workspace.panels import workspace_panels


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    context: dict = {"role": user.role}
    if user.role in (Role.OPS, Role.ADMIN, Role.AUDITOR):
        context["overview"] = network.network_overview(for_user=user)
        context["expiring"] = network.practitioner_list(
            for_user=user, experts_only=True, insurance_expiring_days=settings.INSURANCE_EXPIRY_WARNING_DAYS
        )[:10]
    if user.role in (Role.AUDITOR, Role.ADMIN):
        # In words and Beijing time, as the audit log shows them; the names shown are a read, audited.
        context["recent_audit"] = audit_rows(list(AuditEvent.objects.order_by("-at", "-id")[:10]))
        shown = audit_rows_person_ids(context["recent_audit"])
        if shown:
            audit_patient_read(actor=user, person_ids=shown, object_type="core.auditevent", reason="audit log")
    practitioner = getattr(user, "practitioner", None)
    if practitioner is not None:
        context["practitioner"] = practitioner
        context["registrations"] = network.site_registration_list(
            for_user=user, practitioner=practitioner.pk, valid_on=network.today()
        )
        context["policies"] = network.insurance_policy_list(for_user=user, practitioner=practitioner.pk)
        org_ids = network.user_organization_ids(user)
        context["organizations"] = Organization.objects.filter(pk__in=org_ids)
    if user.role in (Role.GP, Role.HEALTH_MANAGER, Role.COORDINATOR):
        households = people.household_list(for_user=user)
        context["household_count"] = households.count()
        context["person_count"] = people.person_list(for_user=user).count()
        context["partnerships"] = network.partnership_list(for_user=user).filter(
            department__organization_id__in=network.user_organization_ids(user)
        )
    if user.role == Role.PATIENT:
        person = getattr(user, "person", None)
        context["person"] = person
        if person is not None:
            members = people.person_list(for_user=user)
            context["members"] = members
            audit_patient_read(
                actor=user,
                person_ids=[m.pk for m in members],
                object_type="people.person",
                reason="patient workspace",
            )
    context["panels"] = workspace_panels(request)
    return render(request, "workspace/home.html", context)
