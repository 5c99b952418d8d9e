"""Sign-in (rate-limited), sign-out, the user's own API tokens. (The audit log page is the workspace's: it names
persons, which core may not import.)"""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tiercare.core.access import access_api_token_by_id
from tiercare.core.audit import audit_record
from tiercare.core.errors import DomainError
from tiercare.core.http import AuthedRequest
from tiercare.core.middleware import client_ip
from tiercare.core.models import ApiToken, AuditAction
from tiercare.core.services import api_token_revoke, api_token_revoke_all, user_authenticate


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
def tokens(request: AuthedRequest) -> HttpResponse:
    """The signed-in user's own API tokens: label, created, last used and from where, status. Never the secret."""
    rows = list(ApiToken.objects.filter(user=request.user).order_by("-created_at")[:200])
    now = timezone.now()
    has_live = any(t.revoked_at is None and t.expires_at > now for t in rows)
    return render(request, "core/tokens.html", {"tokens": rows, "now": now, "has_live": has_live})


@login_required
@require_POST
def token_revoke(request: AuthedRequest, token_id: str) -> HttpResponse:
    token = access_api_token_by_id(request.user, token_id)
    api_token_revoke(token=token, by=request.user, reason="revoked by owner")
    messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("tokens")


@login_required
@require_POST
def token_revoke_all(request: AuthedRequest) -> HttpResponse:
    count = api_token_revoke_all(user=request.user, by=request.user, reason="revoked by owner")
    messages.success(request, _("%(count)d tokens revoked.") % {"count": count})
    return redirect("tokens")
