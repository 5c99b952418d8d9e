"""The consults app's periodic job (``manage.py tick``): re-route, remind, escalate.

For every open, unanswered tele-consultation or opinion:
- the assigned expert is no longer allowed at the inviting site on some day up to the deadline (cover lapsed,
  filing revoked, agreement ended) → re-routed to another allowed expert (services.work_reroute);
- REMIND_AT_FRACTION of the time allowed has passed → the expert is reminded once;
- ESCALATE_AT_FRACTION has passed (before the deadline) or it is unassigned → operations are told once.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tiercare.consults import services
from tiercare.consults.models import (
    ESCALATE_AT_FRACTION,
    OPEN_CONSULT,
    OPEN_OPINION,
    REMIND_AT_FRACTION,
    SecondOpinion,
    Teleconsult,
)


def tick(now: datetime) -> dict[str, int]:
    done = {"rerouted": 0, "reminded": 0, "escalated": 0}
    today = timezone.localdate(now)
    for model, states in ((Teleconsult, OPEN_CONSULT), (SecondOpinion, OPEN_OPINION)):
        qs = model.objects.filter(status__in=states, first_answer_at__isnull=True).select_related(
            "case__requesting_org", "expert__user"
        )
        for work in qs.iterator(chunk_size=200):
            if work.expert_id and not services.expert_still_allowed(work, today):
                services.work_reroute(work=work, reason="expert no longer allowed at the site before the deadline")
                done["rerouted"] += 1
                work.refresh_from_db()
            allowed = work.deadline - work.created_at
            elapsed = now - work.created_at
            with transaction.atomic():
                if work.expert_id and work.reminded_at is None and elapsed >= allowed * REMIND_AT_FRACTION:
                    work.reminded_at = now
                    work.save(update_fields=["reminded_at", "updated_at"])
                    services.notify_expert(work, "consult_reminder")
                    done["reminded"] += 1
                if work.escalated_at is None and (elapsed >= allowed * ESCALATE_AT_FRACTION or not work.expert_id):
                    work.escalated_at = now
                    work.save(update_fields=["escalated_at", "updated_at"])
                    services.notify_ops(work, "consult_escalated")
                    done["escalated"] += 1
    return done
