"""The JSON API's shared parts: authentication, one error shape, pagination, id resolution.

Integration clients send ``Authorization: Bearer <token>`` (from ``POST /api/v1/auth/token``); pages calling the
API use the session cookie and CSRF. Every error answers ``{"code", "message", "details"}``.
"""

import json
import uuid
from collections.abc import Iterator
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.db import models
from django.db.models import Count, Window
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, django_auth
from pydantic import BaseModel

from tiercare.core.errors import BadRequest, DomainError, PayloadTooLarge, ValidationFailed
from tiercare.core.models import User
from tiercare.core.services import api_token_lookup
from tiercare.core.validation import NUL, nul_message

M = TypeVar("M", bound=models.Model)
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_JSON_DEPTH = 32  # the deepest body we take is 3 levels; 32 leaves room and refuses parser-bomb nesting


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string (keys too) in a parsed JSON value; refuses nesting deeper than MAX_JSON_DEPTH."""
    if depth > MAX_JSON_DEPTH:
        raise BadRequest(_("The request body is nested too deeply."), code="too_deep")
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)


class StrictParser(Parser):
    """The API's request parser: a JSON body must be one object, nested at most MAX_JSON_DEPTH deep, with no NUL
    character in any string; query strings and form fields carry no NUL either. Each refusal is a DomainError, so it
    answers in the one error shape (ninja wraps body errors in an HttpError; the handler unwraps the cause)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body)
        except RecursionError:
            raise BadRequest(_("The request body is nested too deeply."), code="too_deep") from None
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(_("The request body is not valid JSON."), code="invalid_json") from None
        if not isinstance(data, dict):
            raise ValidationFailed(
                _("The request body must be a JSON object."), code="body_not_object", details={"field": "body"}
            )
        if any(NUL in text for text in _strings(data)):
            raise ValidationFailed(nul_message(), code="nul_character", details={"field": "body"})
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        for key, values in data.lists():
            if NUL in key or any(isinstance(v, str) and NUL in v for v in values):
                raise ValidationFailed(nul_message(), code="nul_character", details={"field": key.replace(NUL, "")})
        return result


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``: a live token (not expired, not revoked, its user active) or 401.

    The token row is kept on the request (``request.api_token``) so that ``POST /auth/logout`` revokes the one used.
    """

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        from tiercare.core.middleware import client_ip

        row = api_token_lookup(token, ip=client_ip(request))
        if row is None:
            return None
        request.user = row.user
        request.api_token = row  # type: ignore[attr-defined]
        return row.user


api_auth = [BearerToken(), django_auth]


class ErrorOut(Schema):
    code: str
    message: str
    details: Any = None


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (1–500).")
    offset: int = Field(0, ge=0, le=10_000_000, description="Rows to skip.")


def page_schema(item: type[BaseModel], name: str | None = None) -> type[Schema]:
    """The ``{"count", "items"}`` schema of a list of ``item``, named ``<Item>Page`` (or ``name``) so that every
    list has its own OpenAPI component: a class built in a loop under one name would collapse into one ``Page``."""
    page_name = name or f"{item.__name__}Page"
    fields = {"count": int, "items": list[item]}  # type: ignore[valid-type]
    return type(page_name, (Schema,), {"__annotations__": fields, "__qualname__": page_name})


def page(qs: models.QuerySet[M], params: PageParams) -> dict[str, Any]:
    """One page of ``qs`` as ``{"count", "items"}``.

    The rows come first; the count is asked of the database only when the page cannot tell it (a full page, or an
    empty page past the first), so a short list costs one query.
    """
    items = list(qs[params.offset : params.offset + params.limit])
    page_tells = len(items) < params.limit and (items or params.offset == 0)
    return {"count": params.offset + len(items) if page_tells else qs.count(), "items": items}


def page_one_query(qs: models.QuerySet[M], params: PageParams) -> dict[str, Any]:
    """:func:`page` in one query for lists whose count costs as much as the page (a sorted worklist): the total
    rides on every row as ``COUNT(*) OVER ()``. Not for DISTINCT querysets, whose window would count duplicates."""
    items = list(qs.annotate(page_total=Window(Count("*")))[params.offset : params.offset + params.limit])
    if items:
        return {"count": items[0].page_total, "items": items}  # type: ignore[attr-defined]
    return {"count": 0 if params.offset == 0 else qs.count(), "items": items}


def page_keys_then_rows(qs: models.QuerySet[M], params: PageParams) -> dict[str, Any]:
    """:func:`page_one_query` for a list sorted on its own table's columns whose rows join others (a worklist sorted
    on enrolment fields that shows each person and household): first the page's keys in order with the total
    (``COUNT(*) OVER ()``) from the list's own table, then the page's rows with their joins, by key. Joining every
    matching row before the sort cost more than the sort itself (a 2,000-person team's overdue worklist: 38 → 15 ms,
    bench/RESULTS.md). The second query is ``qs`` itself restricted to the page's keys, so its filters still apply."""
    keyed = qs.select_related(None).annotate(page_total=Window(Count("*"))).values_list("pk", "page_total")
    head = list(keyed[params.offset : params.offset + params.limit])
    if not head:
        return {"count": 0 if params.offset == 0 else qs.count(), "items": []}
    rows = {row.pk: row for row in qs.filter(pk__in=[pk for pk, _ in head]).order_by()}
    return {"count": head[0][1], "items": [rows[pk] for pk, _ in head if pk in rows]}


def json_response(model: type[BaseModel], data: Any, *, status: int = 200) -> HttpResponse:
    """Validate ``data`` (plain dicts and values, not ORM rows) against a plain pydantic ``model`` and answer its
    JSON, validated and serialised inside pydantic's core. For long lists this is about ten times quicker than
    the Schema path, which wraps every row for attribute access; the handler declares the same ``model`` as its
    response, so the OpenAPI document is unchanged."""
    body = model.model_validate(data).model_dump_json(by_alias=True)
    return HttpResponse(body, content_type="application/json", status=status)


def resolve(model: type[M], value: Any, field: str, queryset: models.QuerySet[M] | None = None) -> M:
    """The row of ``model`` with id ``value``, or ValidationFailed naming ``field``."""
    qs = queryset if queryset is not None else model._default_manager.all()
    try:
        return qs.get(pk=uuid.UUID(str(value)))
    except (ValueError, ObjectDoesNotExist):
        raise ValidationFailed(
            _("%(field)s: no such %(what)s: %(value)s")
            % {"field": field, "what": model._meta.verbose_name, "value": value},
            details={"field": field},
        ) from None


def resolve_refs(data: dict[str, Any], refs: dict[str, type[models.Model]]) -> dict[str, Any]:
    """Replace the ids in ``data`` named in ``refs`` by their rows (None stays None)."""
    out = dict(data)
    for field, model in refs.items():
        if field in out and out[field] is not None:
            out[field] = resolve(model, out[field], field)
    return out


def _error(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "details": details}, status=status)


def _field_of(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "params", "data")]
    return ".".join(parts) or "request"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return _error(api, request, exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {
                "field": _field_of(list(e.get("loc", []))),
                "message": str(e.get("msg", "")),
                "type": e.get("type"),
            }
            for e in exc.errors
        ]
        first = errors[0] if errors else {"field": "request", "message": "invalid"}
        return _error(
            api, request, 422, "validation_error", f"{first['field']}: {first['message']}", {"errors": errors}
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _error(api, request, 401, "unauthenticated", _("Sign in or send a valid bearer token."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _error(api, request, 404, "not_found", _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, DomainError):  # raised by StrictParser, wrapped by ninja's body reader
            return domain_error(request, cause)
        if isinstance(cause, RequestDataTooBig | MultiPartParserError | SuspiciousOperation):
            return request_error(request, cause)
        return _error(api, request, exc.status_code, "http_error", str(exc))

    @api.exception_handler(RequestDataTooBig)
    @api.exception_handler(MultiPartParserError)
    @api.exception_handler(SuspiciousOperation)
    def request_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if isinstance(exc, RequestDataTooBig):
            return domain_error(request, PayloadTooLarge(_("The request body is too large.")))
        if isinstance(exc, MultiPartParserError):
            return domain_error(request, BadRequest(_("The multipart form could not be read."), code="bad_multipart"))
        return domain_error(request, BadRequest(_("The request could not be read.")))


def crud_routes(
    router: Any,
    *,
    path: str,
    model: type[models.Model],
    out: type[Schema],
    create_in: type[Schema],
    patch_in: type[Schema],
    filters: type[Schema],
    select: Any,
    refs: dict[str, type[models.Model]],
    create: Any,
    update: Any,
    tag: str,
) -> None:
    """Register list, read, create and update of one model on ``router``.

    ``select(for_user=..., **filters)`` is the app's scoped selector; ``create(by=, model=, data=)`` and
    ``update(by=, obj=, data=)`` its services. A row the user may not see answers 404 as if it did not exist.
    """
    from ninja import Query

    name = model._meta.model_name

    Page = page_schema(out)

    def list_rows(
        request: HttpRequest,
        # The schema classes are arguments, read by ninja at run time; hence the valid-type ignores and Schema.dict.
        params: Query[filters],  # type: ignore[valid-type]
        paging: Query[PageParams],
    ) -> dict[str, Any]:
        qs = select(for_user=request.user, **Schema.dict(params, exclude_none=True))
        return page(qs, paging)

    def read_row(request: HttpRequest, row_id: uuid.UUID) -> Any:
        row = select(for_user=request.user).filter(pk=row_id).first()
        if row is None:
            raise DomainError(_("Not found."), code="not_found", status=404)
        return row

    def create_row(request: HttpRequest, payload: create_in) -> Any:  # type: ignore[valid-type]
        data = resolve_refs(model_fields(Schema.dict(payload)), refs)
        return create(by=request.user, model=model, data=data)

    def update_row(request: HttpRequest, row_id: uuid.UUID, payload: patch_in) -> Any:  # type: ignore[valid-type]
        row = read_row(request, row_id)
        data = resolve_refs(model_fields(Schema.dict(payload, exclude_unset=True)), refs)
        return update(by=request.user, obj=row, data=data)

    error_codes = {
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
    }
    router.get(
        path,
        response={200: Page, **error_codes},
        tags=[tag],
        operation_id=f"list_{name}",
        summary=f"List {model._meta.verbose_name_plural}",
    )(list_rows)
    router.get(
        f"{path}/{{row_id}}",
        response={200: out, **error_codes},
        tags=[tag],
        operation_id=f"get_{name}",
        summary=f"Read one {model._meta.verbose_name}",
    )(read_row)
    router.post(
        path,
        response={201: out, **error_codes},
        tags=[tag],
        operation_id=f"create_{name}",
        summary=f"Create a {model._meta.verbose_name}",
    )(_status(201, create_row))
    router.patch(
        f"{path}/{{row_id}}",
        response={200: out, **error_codes},
        tags=[tag],
        operation_id=f"update_{name}",
        summary=f"Change a {model._meta.verbose_name}",
    )(update_row)


FIELD_RENAMES = {"county_code": "division_id"}


def model_fields(data: dict[str, Any]) -> dict[str, Any]:
    """API names → model field names (the API says county_code where the model says division), checking the
    county code against the GB/T 2260 table."""
    from tiercare.core.models import Division

    out = {FIELD_RENAMES.get(k, k): v for k, v in data.items()}
    code = out.get("division_id")
    if code is not None and not Division.objects.filter(code=code).exists():
        raise ValidationFailed(
            _("county_code: %(code)s is not a GB/T 2260 county code") % {"code": code},
            details={"field": "county_code"},
        )
    return out


def _status(status: int, view: Any) -> Any:
    import functools

    from ninja import Status

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return Status(status, view(*args, **kwargs))

    return wrapped
