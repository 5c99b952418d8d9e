"""Pickers of experts (practitioners) and departments (``core.widgets.SearchPicker``); their search endpoints are
``network:expert-search`` and ``network:department-search`` (staff only; no patient data, so nothing to audit).

    named_expert = forms.ModelChoiceField(queryset=..., widget=ExpertPicker())
    receiving_department = forms.ModelChoiceField(queryset=..., widget=DepartmentPicker(params={"tier": "tertiary"}))
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy

from tiercare.core.widgets import SearchPicker
from tiercare.network.models import Department, Practitioner, Specialty, Tier


def practitioner_label(p: Practitioner) -> str:
    parts = [p.name]
    if p.title:
        parts.append(str(p.get_title_display()))
    if p.specialty:
        parts.append(str(p.get_specialty_display()))
    if p.home_organization is not None:
        parts.append(p.home_organization.name)
    return " · ".join(parts)


def department_label(d: Department) -> str:
    return f"{d.organization.name} · {d.name}（{d.get_specialty_display()}）"


class ExpertPicker(SearchPicker):
    """Chooses an expert (a practitioner) by name, pinyin or initials. ``params={"experts_only": "1"}`` keeps to
    the doctor group's experts; ``{"center": <org id>}`` to the staff of one organization."""

    search_url_name = "network:expert-search"
    placeholder = gettext_lazy("Name, pinyin or initials")

    def label_for(self, obj: Any) -> str:
        return practitioner_label(obj)


class DepartmentPicker(SearchPicker):
    """Chooses a department by its name, its hospital's name or its specialty. ``params={"tier": "tertiary"}``
    keeps to tertiary hospitals (a referral up)."""

    search_url_name = "network:department-search"
    placeholder = gettext_lazy("Department, hospital or specialty")

    def label_for(self, obj: Any) -> str:
        return department_label(obj)


def specialty_codes(text: str) -> list[str]:
    """The specialties whose name (in either language) contains ``text``."""
    low = text.lower()
    out = []
    for code, label in Specialty.choices:
        with translation.override("zh-hans"):
            zh = str(label)
        if low in code or low in zh or low in str(label).lower():
            out.append(code)
    return out


def department_search(*, q: str, tier: str = "") -> QuerySet[Department]:
    text = (q or "").strip()[:60]
    if not text:
        return Department.objects.none()
    qs = Department.objects.filter(
        Q(name__icontains=text)
        | Q(organization__name__icontains=text)
        | Q(organization__short_name__icontains=text)
        | Q(specialty__in=specialty_codes(text))
    ).exclude(organization__status="closed")
    if tier in Tier.values:
        qs = qs.filter(organization__tier=tier)
    return qs.select_related("organization").order_by("organization__name", "name", "pk")
