"""`AuthedRequest` tells the type checker that a request's user is signed in; nothing checks it at run time.
These tests hold the annotation honest: every page and API operation annotated so sits behind a sign-in."""

import inspect

from django.urls import URLResolver, get_resolver

from tiercare.api import api
from tiercare.core.http import AuthedRequest


def _request_annotation(func):
    return inspect.signature(func).parameters["request"].annotation


def _authed(func) -> bool:
    return _request_annotation(func) in (AuthedRequest, "AuthedRequest")


def _layers(view):
    """The view and every function it wraps (decorators built with functools.wraps keep ``__wrapped__``)."""
    while view is not None:
        yield view
        view = getattr(view, "__wrapped__", None)


def _walk(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns)
        else:
            yield entry


def _ninja_operations():
    """The operations as served: ninja binds a copy of each router to the API, with the auth it inherits."""
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            yield from path_view.operations


def test_every_page_annotated_authed_is_behind_login_required():
    checked = 0
    for entry in _walk(get_resolver().url_patterns):
        layers = list(_layers(entry.callback))
        innermost = layers[-1]
        if not hasattr(innermost, "__code__") or "request" not in inspect.signature(innermost).parameters:
            continue  # ninja's views and class-based admin views: see the API test below
        if not _authed(innermost):
            continue
        checked += 1
        # functools.wraps copies the name; the wrapper's code object keeps where it was defined
        where = [getattr(getattr(f, "__code__", None), "co_qualname", "") for f in layers]
        guards = [name for name in where if name.startswith("user_passes_test.")]
        assert guards, f"{innermost.__module__}.{innermost.__qualname__} takes an AuthedRequest without login_required"
    assert checked > 50


def test_every_api_operation_annotated_authed_requires_auth():
    checked = 0
    for operation in _ninja_operations():
        if _authed(operation.view_func):
            checked += 1
            assert operation.auth_callbacks, f"{operation.view_func.__qualname__} takes an AuthedRequest without auth"
    assert checked > 50


def test_the_sign_in_operation_is_not_annotated_authed():
    operation = next(op for op in _ninja_operations() if op.operation_id == "issue_token")
    assert not operation.auth_callbacks
    assert not _authed(operation.view_func)
