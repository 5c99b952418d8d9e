"""Consent pages: record a consent (a page of its own, or in place inside another page with htmx), send the SMS
confirmation code, withdraw a consent, open its scanned document; and the "record consent in place" offer that a
workflow refused for lack of consent shows instead of a dead end.

The offer: ``consent_offer(person_id, purpose, next_url)`` gives the include ``people/_consent_offer.html`` what it
needs (a link to ``people:consent-new?person=…&purpose=…&next=…`` that htmx opens in place); ``offer_from_error``
builds it from a refusal whose code is ``consent_missing`` and whose details name the person and the purpose.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from tiercare.core.access import require_role
from tiercare.core.errors import Conflict, DomainError, Forbidden, NotFound, RateLimited, ValidationFailed
from tiercare.core.files import attachment_response
from tiercare.core.http import AuthedRequest
from tiercare.core.query import query_uuid
from tiercare.people import consents
from tiercare.people.access import access_consent_by_id, access_person_by_id
from tiercare.people.forms import ConsentForm, WithdrawForm, show_error
from tiercare.people.models import Consent, ConsentScope, Person
from tiercare.people.widgets import person_label

REFUSED = (ValidationFailed, Conflict, Forbidden)


def _htmx(request: AuthedRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(request: AuthedRequest, value: str) -> str:
    """``value`` when it is a page of this site (never an open redirect), else ""."""
    ok = url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return value if value and ok else ""


def consent_offer(person_id: Any, purpose: str, next_url: str = "") -> dict[str, Any]:
    """What ``people/_consent_offer.html`` shows: the purpose's name and the link that records it in place."""
    params = {"person": str(person_id), "purpose": purpose}
    if next_url:
        params["next"] = next_url
    label = ConsentScope(purpose).label if purpose in ConsentScope.values else ""
    return {"url": f"{reverse('people:consent-new')}?{urlencode(params)}", "purpose": purpose, "label": label}


def offer_from_error(exc: DomainError, next_url: str = "") -> dict[str, Any] | None:
    """The offer for a ``consent_missing`` refusal whose details name the person and the purpose, else None."""
    details = exc.details if isinstance(exc.details, dict) else {}
    if exc.code != "consent_missing" or not details.get("person"):
        return None
    return consent_offer(details["person"], str(details.get("scope") or ConsentScope.REFERRAL), next_url)


def consent_rows(request: AuthedRequest, person: Person, withdraw_forms: dict[str, Any]) -> list[dict[str, Any]]:
    """The person's consents, newest first, each with its withdraw form for a writer while it is in force (the
    caller has read the person through an access function, audited)."""
    writer = request.user.role in consents.CONSENT_WRITERS
    rows = []
    for c in Consent.objects.filter(person=person).select_related("recorded_by", "withdrawn_by"):
        row: dict[str, Any] = {"c": c, "in_force": c.in_force_on(timezone.localdate())}
        if writer and c.withdrawn_at is None:
            row["withdraw_form"] = withdraw_forms.get(str(c.pk)) or WithdrawForm(prefix=f"w-{c.pk}")
        rows.append(row)
    return rows


def _form_page(
    request: AuthedRequest, person: Person, form: ConsentForm, *, next_url: str, status: int = 200
) -> HttpResponse:
    ctx = {
        "person": person,
        "label": person_label(person),
        "form": form,
        "next": next_url,
        "action": request.get_full_path(),
        "sms_url": f"{reverse('people:consent-sms')}?{urlencode({'person': str(person.pk)})}",
    }
    template = "people/_consent_form.html" if _htmx(request) else "people/consent_new.html"
    return render(request, template, ctx, status=status)


@login_required
def consent_new(request: AuthedRequest) -> HttpResponse:
    """Record a consent for ``?person=`` (``?purpose=`` preselected, ``?next=`` the page to go back to). With htmx
    the form works in place inside the page that offered it, and answers with a confirmation there."""
    require_role(request.user, *consents.CONSENT_WRITERS)
    person = access_person_by_id(request.user, query_uuid(request, "person") or "-", reason="consent form")
    next_url = safe_next(request, request.GET.get("next", ""))
    purpose = request.GET.get("purpose", "")
    initial = {"purpose": purpose} if purpose in ConsentScope.values else {}
    if request.method != "POST":
        return _form_page(request, person, ConsentForm(initial=initial), next_url=next_url)
    form = ConsentForm(request.POST, request.FILES)
    consent = None
    if form.is_valid():
        d = form.cleaned_data
        try:
            consent = consents.consent_record(
                by=request.user,
                person=person,
                scope=d["purpose"],
                signer=d["signer"],
                given_by=d["given_by"],
                signer_relation=d["signer_relation"],
                method=d["method"],
                signed_on=d["signed_on"],
                valid_until=d["valid_until"],
                document=d["document"],
                signature=d["signature"],
                sms_code=d["sms_code"],
            )
        except REFUSED as exc:
            show_error(form, exc, {"scope": "purpose"})
    if consent is None:
        return _form_page(request, person, form, next_url=next_url, status=422)
    if _htmx(request):
        ctx = {"consent": consent, "person": person, "next": next_url, "inplace": request.GET.get("inplace") == "1"}
        return render(request, "people/_consent_done.html", ctx)
    return redirect(next_url or reverse("people:person", args=[person.pk]))


@login_required
@require_POST
def consent_sms(request: AuthedRequest) -> HttpResponse:
    """Send the confirmation code for the consent form's purpose to the phone typed (default: the patient's)."""
    require_role(request.user, *consents.CONSENT_WRITERS)
    person = access_person_by_id(request.user, query_uuid(request, "person") or "-", reason="consent code")
    try:
        row = consents.sms_code_send(
            by=request.user, person=person, scope=request.POST.get("purpose", ""), phone=request.POST.get("phone", "")
        )
    except (*REFUSED, RateLimited) as exc:
        message = exc.message.split(": ", 1)[-1] if ": " in exc.message[:20] else exc.message
        return render(request, "people/_sms_status.html", {"error": message}, status=422)
    return render(request, "people/_sms_status.html", {"phone": row.phone[:3] + "****" + row.phone[7:]})


@login_required
@require_POST
def consent_withdraw(request: AuthedRequest, consent_id: str) -> HttpResponse:
    """Withdraw a consent from the person page with a reason (``consents.consent_withdraw``): future sharing for
    its purpose stops; what was shared stays."""
    consent = access_consent_by_id(request.user, consent_id, reason="withdraw consent")
    form = WithdrawForm(request.POST, prefix=f"w-{consent.pk}")
    if form.is_valid():
        try:  # withdrawn meanwhile (Conflict): the site's refusal page says so, with its 409
            consents.consent_withdraw(by=request.user, consent=consent, reason=form.cleaned_data["reason"])
        except (ValidationFailed, Forbidden) as exc:
            show_error(form, exc)
        else:
            return redirect(f"{reverse('people:person', args=[consent.person_id])}#consents")
    person = access_person_by_id(request.user, consent.person_id, reason="person page")
    return person_page(request, person, withdraw_forms={str(consent.pk): form}, status=422)


@login_required
def consent_document(request: AuthedRequest, consent_id: str) -> FileResponse:
    """The scanned form or tablet signature of a consent: access-checked (404 to anyone who may not see the person),
    audited, never cached."""
    consent = access_consent_by_id(request.user, consent_id, reason="consent document")
    if not consent.document:
        raise NotFound(gettext("This consent has no document."))
    ext = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(consent.document_type, "")
    return attachment_response(
        default_storage.open(consent.document.name, "rb"),
        filename=f"consent-{consent.scope}{ext}",
        content_type=consent.document_type or "application/octet-stream",
    )


def person_page(request: AuthedRequest, person: Person, **kwargs: Any) -> HttpResponse:
    from tiercare.people.views import _person_page

    return _person_page(request, person, **kwargs)


def error_context(request: AuthedRequest, exc: DomainError) -> dict[str, Any]:
    """For the site's refusal page (``settings.PAGE_ERROR_CONTEXT``): a ``consent_missing`` refusal offers to record
    the consent in place, for a user who may record it; back to the page that was refused (a form's page: the
    referring page of a POST)."""
    if exc.code != "consent_missing" or getattr(request.user, "role", None) not in consents.CONSENT_WRITERS:
        return {}
    if request.method == "GET":
        back = request.get_full_path()
    else:
        referer = request.META.get("HTTP_REFERER", "")
        back = safe_next(request, referer)
    offer = offer_from_error(exc, back)
    return {"consent_offer": offer, "error_includes": ["people/_consent_offer.html"]} if offer else {}
