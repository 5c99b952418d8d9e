"""Every schema class of the API has its own OpenAPI component name (issue 10 item 8).

Two classes under one name collapse into one component: six directory lists were documented as a bare ``Page`` of
the wrong item type, and the people endpoints with care's ``PersonOut``/``HouseholdOut``.
"""

from collections import defaultdict

import pytest
from pydantic import BaseModel

from tiercare.api import api


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


def test_no_two_schema_classes_share_a_component_name():
    api.get_openapi_schema()  # builds every operation's models
    by_name: dict[str, set[type]] = defaultdict(set)
    for cls in _subclasses(BaseModel):
        if (cls.__module__ or "").startswith("tiercare."):
            by_name[cls.__name__].add(cls)
    clashes = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in by_name.items()
        if len(classes) > 1
    }
    assert not clashes, clashes


@pytest.mark.parametrize(
    "path,item",
    [
        ("/api/v1/organizations", "OrganizationOut"),
        ("/api/v1/departments", "DepartmentOut"),
        ("/api/v1/practitioners", "PractitionerOut"),
        ("/api/v1/site-registrations", "SiteRegistrationOut"),
        ("/api/v1/insurance-policies", "InsurancePolicyOut"),
        ("/api/v1/partnerships", "PartnershipOut"),
        ("/api/v1/persons", "PersonOut"),
        ("/api/v1/households", "HouseholdOut"),
    ],
)
def test_each_list_documents_its_own_item_type(path, item):
    doc = api.get_openapi_schema()
    schemas = doc["components"]["schemas"]
    page_ref = doc["paths"][path]["get"]["responses"][200]["content"]["application/json"]["schema"]["$ref"]
    page = schemas[page_ref.split("/")[-1]]
    assert page["properties"]["items"]["items"]["$ref"].endswith(f"/{item}")
    # the people item is people's shape (with the masked id), not care's
    if item == "PersonOut":
        assert "id_masked" in schemas["PersonOut"]["properties"]


def test_every_operation_documents_the_errors_the_request_reader_can_answer():
    """The strict parser answers 400 (unreadable, NUL, too deep) and 413 (too large) on any body; every operation
    taking a body documents both in the one error shape, and every operation documents 400 (NUL in the query)."""
    doc = api.get_openapi_schema()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            codes = set(op["responses"])
            assert 400 in codes, (method, path)
            if "requestBody" in op:
                assert {400, 413} <= codes, (method, path)
                assert op["responses"][413]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
