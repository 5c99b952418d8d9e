"""Sign-in (rate-limited), sign-out, and the audit log for auditors."""

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tiercare.core.access import require_role
from tiercare.core.audit import audit_record
from tiercare.core.errors import DomainError
from tiercare.core.middleware import client_ip
from tiercare.core.models import AuditAction, AuditEvent, Role
from tiercare.core.services import user_authenticate


@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    context = {"next": next_url, "username": "", "error": ""}
    if request.method == "POST":
        username = request.POST.get("username", "")
        context["username"] = username[:150]
        try:
            user = user_authenticate(
                request=request,
                username=username,
                password=request.POST.get("password", ""),
                ip=client_ip(request),
            )
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "registration/login.html", context, status=exc.status if exc.status == 429 else 200)
        login(request, user)
        return redirect(next_url or "home")
    return render(request, "registration/login.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(actor=request.user, action=AuditAction.LOGOUT, obj=request.user)
    logout(request)
    return redirect("login")


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.AUDITOR, Role.ADMIN)
    qs = AuditEvent.objects.all()
    filters = {k: request.GET.get(k, "").strip() for k in ("actor", "action", "person")}
    if filters["actor"]:
        qs = qs.filter(actor_username=filters["actor"])
    if filters["action"]:
        qs = qs.filter(action=filters["action"])
    if filters["person"]:
        qs = qs.about_person(filters["person"]) if _is_uuid(filters["person"]) else qs.none()
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"page": page, "filters": filters, "actions": AuditAction.choices})


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
