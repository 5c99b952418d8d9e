"""The `/api/v1/` NinjaAPI: each app's router mounted, one auth scheme, one error shape, OpenAPI served."""

from django.contrib.auth import logout
from django.http import HttpRequest
from ninja import Field, NinjaAPI, Schema, Status

from tiercare.care.api import router as care_router
from tiercare.consults.api import router as consults_router
from tiercare.core.api import ErrorOut, StrictParser, api_auth, install_error_handlers
from tiercare.core.audit import audit_record
from tiercare.core.http import AuthedRequest
from tiercare.core.middleware import client_ip
from tiercare.core.models import AuditAction
from tiercare.core.services import api_token_issue, api_token_revoke, user_authenticate
from tiercare.finance.api import router as finance_router
from tiercare.network.api import router as network_router
from tiercare.outreach.api import router as outreach_router
from tiercare.people.api import router as people_router
from tiercare.portal.api import router as portal_router
from tiercare.profiles.api import router as profiles_router
from tiercare.programs.api import router as programs_router
from tiercare.referrals.api import router as referrals_router
from tiercare.triage.api import router as triage_router
from tiercare.workspace.history import router as audit_router

api = NinjaAPI(
    title="tiercare API",
    version="1",
    description=(
        "tiercare's JSON API. Get a token from `POST /api/v1/auth/token` and send `Authorization: Bearer <token>`. "
        'Lists take `limit` (1–500, default 50) and `offset` and answer `{"count", "items"}`. Errors answer '
        '`{"code", "message", "details"}`.'
    ),
    auth=api_auth,
    parser=StrictParser(),
    urls_namespace="api",
    docs_url="/docs",
)
install_error_handlers(api)


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=200)
    label: str = Field("", max_length=100, description="What the token is for, shown on the tokens page")


class TokenOut(Schema):
    token: str
    expires_at: str


@api.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    tags=["auth"],
    operation_id="issue_token",
)
def issue_token(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    """Exchange a username and password for a bearer token (rate-limited like the sign-in page)."""
    user = user_authenticate(
        request=request, username=payload.username, password=payload.password, ip=client_ip(request)
    )
    token, raw = api_token_issue(user=user, label=payload.label, ip=client_ip(request))
    return {"token": raw, "expires_at": token.expires_at.isoformat()}


@api.post(
    "/auth/logout",
    response={204: None, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut},
    tags=["auth"],
    operation_id="logout",
)
def api_logout(request: AuthedRequest) -> Status:
    """Sign out: revoke the bearer token this request used; with session auth, end the session."""
    token = getattr(request, "api_token", None)
    if token is not None:
        api_token_revoke(token=token, by=token.user, reason="logout")
    else:
        audit_record(actor=request.user, action=AuditAction.LOGOUT, obj=request.user)
        logout(request)
    return Status(204, None)


api.add_router("/", network_router)
api.add_router("/", people_router)
api.add_router("/", outreach_router)
api.add_router("/", consults_router)
api.add_router("/", referrals_router)
api.add_router("/", care_router)
api.add_router("/", programs_router)
api.add_router("/", portal_router)
api.add_router("/", audit_router)
api.add_router("/", triage_router)
api.add_router("/", finance_router)
api.add_router("/", profiles_router)
