"""An expert's availability for outreach: the weekly half-days and limits (``availability_set``), and leave, home
duty or withdrawal (``leave_add``). Changing them never moves confirmed sessions: a re-plan does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tiercare.core.crud import changed_fields, row_save
from tiercare.core.errors import Forbidden, ValidationFailed
from tiercare.core.models import Role, User
from tiercare.network.models import Practitioner
from tiercare.outreach.models import ExpertAvailability, ExpertLeave, HalfDay, OutreachProfile
from tiercare.outreach.selectors import PLANNERS


def _require_self_or_ops(by: User, practitioner: Practitioner) -> None:
    if by.role in PLANNERS and by.is_active:
        return
    if by.role == Role.EXPERT and practitioner.user_id == by.pk:
        return
    raise Forbidden(_("Only the expert or operations may change this expert's availability."))


@transaction.atomic
def availability_set(
    *,
    by: User,
    practitioner: Practitioner,
    half_days: Iterable[tuple[int, str]],
    weekly_limit: int | None = None,
    home_city: str | None = None,
) -> list[ExpertAvailability]:
    """Replace an expert's weekly half-days (weekday 0 = Monday, "am"/"pm"), optionally the weekly limit."""
    _require_self_or_ops(by, practitioner)
    wanted = sorted(set(half_days))
    for weekday, half in wanted:
        if not 0 <= weekday <= 6 or half not in HalfDay.values:
            raise ValidationFailed(
                _("half_days: %(w)s %(h)s is not a weekday 0–6 and am/pm.") % {"w": weekday, "h": half},
                details={"field": "half_days"},
            )
    ExpertAvailability.objects.filter(practitioner=practitioner).delete()
    rows = ExpertAvailability.objects.bulk_create(
        [ExpertAvailability(practitioner=practitioner, weekday=w, half_day=h) for w, h in wanted]
    )
    profile, _created = OutreachProfile.objects.get_or_create(practitioner=practitioner)
    data: dict[str, Any] = {}
    if weekly_limit is not None:
        data["weekly_limit"] = weekly_limit
    if home_city is not None:
        data["home_city"] = home_city
    changes = changed_fields(profile, data)
    row_save(actor=by, obj=profile, changes={**changes, "half_days": [f"{w}{h}" for w, h in wanted]})
    return rows


def leave_add(
    *, by: User, practitioner: Practitioner, kind: str, start: date, end: date, note: str = ""
) -> ExpertLeave:
    """Record leave, home-hospital duty or a withdrawal. Confirmed sessions on those days are not touched here:
    re-plan (``replan_create``) to move or cancel them."""
    _require_self_or_ops(by, practitioner)
    return row_save(
        actor=by,
        obj=ExpertLeave(practitioner=practitioner, kind=kind, start=start, end=end, note=note),
        changes={"kind": kind, "start": start, "end": end},
    )
