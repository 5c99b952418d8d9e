"""Pickers of persons and households (``core.widgets.SearchPicker``), labelled so that two residents of the same
name are told apart: sex, age, masked ID number and household.

    person = forms.ModelChoiceField(queryset=person_list(for_user=user), widget=PersonPicker())
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiercare.core.widgets import SearchPicker
from tiercare.people.models import Household, Person, Sex


def age(person: Person) -> int | None:
    b = person.birth_date
    if b is None:
        return None
    today = timezone.localdate()
    return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


def person_label(person: Person) -> str:
    """``贺霞 · 女 · 56岁 · 110***********1234 · 贺家（甲全科中心）``: enough to tell two namesakes apart, no more
    of the ID than its masked form."""
    parts = [person.name]
    if person.sex in (Sex.MALE, Sex.FEMALE):
        parts.append(str(Sex(person.sex).label))
    years = age(person)
    if years is not None:
        parts.append(_("%(n)d y") % {"n": years})
    if person.id_masked:
        parts.append(person.id_masked)
    membership = getattr(person, "membership", None)
    if membership is not None:
        household = membership.household
        parts.append(f"{household.name}（{household.registered_at.name}）")
    if person.deceased_on:
        parts.append(_("deceased"))
    return " · ".join(parts)


def household_label(household: Household) -> str:
    return f"{household.name}（{household.registered_at.name}）" + (
        f" · {household.address}" if household.address else ""
    )


class PersonPicker(SearchPicker):
    """Chooses a patient by name, pinyin, initials, last 4 of the ID number or mobile phone
    (``people:person-search``: scoped by ``person_scope_q``, every person shown audited as read)."""

    search_url_name = "people:person-search"
    placeholder = gettext_lazy("Name, pinyin, initials, last 4 of ID, or mobile")

    def label_for(self, obj: Any) -> str:
        return person_label(obj)


class HouseholdPicker(SearchPicker):
    """Chooses a household by its name, address or a member (``people:household-search``, audited)."""

    search_url_name = "people:household-search"
    placeholder = gettext_lazy("Household name, address or a member's name")

    def label_for(self, obj: Any) -> str:
        return household_label(obj)
