"""The OpenAPI document validates, and every operation in it answers bad input with a 4xx in the error shape."""

import json
import uuid

import pytest
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

BAD_SCALARS = [
    "",
    "not-a-uuid",
    "-1",
    "9" * 40,
    "x" * 2000,
    "2026-13-45",
    "null",
    "true",
    "[]",
    "\u0000",
    "张三",
]
BAD_BODIES = ["", "not json", "[]", "{}", "null", '{"name": 5}', json.dumps({"x": "y" * 5000})]


def openapi(client: Client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_document_is_valid(cast):
    document = openapi(Client())
    validate(document)
    assert "/api/v1/persons/{person_id}" in document["paths"]
    assert Client().get("/api/v1/docs").status_code == 200


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, op in item.items():
            yield path, method, op


def _wrong_value(schema: dict) -> object:
    kind = schema.get("type")
    if kind in ("integer", "number", "boolean"):
        return "not-a-number"
    if kind == "array":
        return "not-a-list"
    return 12345 if kind == "string" else ["wrong"]


def _body_variants(document: dict, op: dict) -> list[str]:
    variants = list(BAD_BODIES)
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if content:
        ref = content["schema"].get("$ref", "")
        schema = document["components"]["schemas"].get(ref.split("/")[-1], {})
        props = schema.get("properties", {})
        variants.append(json.dumps({name: _wrong_value(p) for name, p in props.items()}))
        variants.append(json.dumps(dict.fromkeys(props, "x" * 3000)))
        variants.append(json.dumps(dict.fromkeys(props)))
    return variants


@pytest.mark.parametrize("who", ["ops", "gp", "patient"])
def test_every_operation_answers_bad_input_with_4xx(cast, who):
    client = Client(raise_request_exception=False)
    client.force_login(getattr(cast, who))
    document = openapi(client)
    calls = 0
    for path, method, op in _operations(document):
        path_params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        query_params = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        urls = []
        for value in ["not-a-uuid", str(uuid.uuid4()), "%00"]:
            url = path
            for name in path_params:
                url = url.replace("{" + name + "}", value)
            urls.append(url)
        for url in urls:
            for scalar in BAD_SCALARS:
                query = dict.fromkeys(query_params, scalar)
                if method == "get":
                    response = client.get(url, query)
                else:
                    for body in _body_variants(document, op):
                        response = getattr(client, method)(url, body, content_type="application/json")
                        calls += 1
                        assert response.status_code < 500, (method, url, body[:80], response.content[:300])
                        if response.status_code >= 400:
                            assert {"code", "message"} <= set(response.json()), (
                                method,
                                url,
                                response.content,
                            )
                    break
                calls += 1
                assert response.status_code < 500, (method, url, scalar[:40], response.content[:300])
                if response.status_code >= 400:
                    assert {"code", "message"} <= set(response.json()), (method, url, response.content)
    assert calls > 100
