"""The hard-case service's figures, beside the Champlain BASE eConsult reference (Liddy et al., Ann Fam Med 2018:
median specialist answer 21 h; about two thirds of cases resolved without a face-to-face visit)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from tiercare.consults.models import MdtCase, Outcome, SecondOpinion, Teleconsult

CHAMPLAIN_BASE_MEDIAN_HOURS = 21.0  # Ann Fam Med 2018
CHAMPLAIN_BASE_AVOIDED_SHARE = 0.65  # "65% without a face-to-face visit", Ann Fam Med 2018


def percentile(values: list[float], p: float) -> float | None:
    """Linear-interpolated percentile (numpy's default) of ``values``; None when empty."""
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def consult_metrics(*, since: datetime | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Counts and times over tele-consultations and second opinions created since ``since`` (all when None).

    - time to first answer: first_answer_at − created_at, over the answered ones;
    - answered within deadline: answered by the deadline ÷ (answered + unanswered past their deadline);
    - referral avoided: closed as advice only ÷ tele-consultations closed;
    - MDT request → meeting: meeting start − MDT case creation, over booked meetings.
    """
    now = now or timezone.now()
    window = Q(created_at__gte=since) if since else Q()
    answered: list[float] = []
    on_time = due = 0
    for model in (Teleconsult, SecondOpinion):
        for created, first, deadline, status in model.objects.filter(window).values_list(
            "created_at", "first_answer_at", "deadline", "status"
        ):
            if status == "cancelled":
                continue
            if first is not None:
                answered.append(_hours(created, first))
                due += 1
                on_time += first <= deadline
            elif deadline < now:
                due += 1
    closed = Teleconsult.objects.filter(window, status="closed")
    n_closed = closed.count()
    avoided = closed.filter(outcome=Outcome.ADVICE_ONLY).count()
    mdt_hours = [
        _hours(created, start)
        for created, start in MdtCase.objects.filter(window, meeting__isnull=False).values_list(
            "created_at", "meeting__starts_at"
        )
    ]
    return {
        "answered": len(answered),
        "median_hours_to_first_answer": percentile(answered, 50),
        "p90_hours_to_first_answer": percentile(answered, 90),
        "share_answered_within_deadline": on_time / due if due else None,
        "teleconsults_closed": n_closed,
        "share_referral_avoided": avoided / n_closed if n_closed else None,
        "mdt_meetings": len(mdt_hours),
        "median_hours_mdt_request_to_meeting": percentile(mdt_hours, 50),
        "reference": {
            "name": "Champlain BASE eConsult (Ann Fam Med 2018)",
            "median_hours_to_first_answer": CHAMPLAIN_BASE_MEDIAN_HOURS,
            "share_referral_avoided": CHAMPLAIN_BASE_AVOIDED_SHARE,
        },
    }
