"""The bulk recompute of enrolments: next due date, control and risk from their follow-ups, set-based.

Run nightly (``care.tasks.recompute_all``) and by ``manage.py care_recompute``; also for one enrolment after a
follow-up is voided. On PostgreSQL one ``UPDATE … FROM`` per batch of ids; elsewhere correlated subqueries. A
follow-up owed after a referral (``Enrollment.followup_owed_by``) keeps the due date early until it is filed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Least, TruncDate

from tiercare.care.models import Enrollment, FollowUp


def _latest(field_name: str, *, with_risk: bool = False, offset: int = 0) -> Subquery:
    qs = FollowUp.objects.filter(enrollment_id=OuterRef("pk"), voided_at__isnull=True)
    if with_risk:
        qs = qs.filter(risk_percent__isnull=False)
    return Subquery(qs.order_by("-measured_at").values(field_name)[offset : offset + 1])


def enrollments_recompute(
    *,
    queryset: QuerySet[Enrollment] | None = None,
    batch_size: int = 20_000,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> int:
    """Recompute next due date, control status and risk of every active enrolment from its follow-ups.

    Set-based, in batches of enrolment ids (keyset order), never a query per person. On PostgreSQL one
    ``UPDATE … FROM`` per batch over one window pass of the batch's follow-ups (the latest non-void one, and the two
    latest risk-bearing ones), writing only the rows that changed; with ``workers`` > 1 the batches are shared by
    that many threads, each on its own connection and transaction (the batches touch disjoint rows). Elsewhere
    one ``UPDATE`` with correlated subqueries and one for ``risk_rose``, on the calling connection. An enrolment
    without follow-ups keeps its due date. ``progress(n)`` is called after each batch. Returns the number of
    enrolments recomputed.
    """
    qs = queryset if queryset is not None else Enrollment.objects.active()
    ids = qs.order_by("pk").values_list("pk", flat=True)
    batches: list[list[Any]] = []
    last = None
    while True:
        page = ids.filter(pk__gt=last) if last is not None else ids
        batch = list(page[:batch_size])
        if not batch:
            break
        last = batch[-1]
        batches.append(batch)
    postgres = connection.vendor == "postgresql"

    def run(batch: list[Any]) -> int:
        with transaction.atomic():
            if postgres:
                _recompute_batch_postgres(batch)
            else:
                _recompute_batch_portable(batch)
        if progress:
            progress(len(batch))
        return len(batch)

    if workers <= 1 or not postgres or len(batches) < 2:
        return sum(run(b) for b in batches)

    def run_in_thread(batch: list[Any]) -> int:
        try:
            return run(batch)
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(run_in_thread, batches))


def _recompute_batch_portable(batch: list[Any]) -> None:
    Enrollment.objects.filter(pk__in=batch).update(
        next_due_on=Coalesce(_latest("next_due_on"), F("next_due_on")),
        control_class=Coalesce(_latest("control_class"), F("control_class")),
        controlled=_latest("controlled"),
        last_followup_on=_latest_day(),
        risk_percent=_latest("risk_percent", with_risk=True),
        previous_risk_percent=_latest("risk_percent", with_risk=True, offset=1),
    )
    # a follow-up owed after a referral (Enrollment.followup_owed_by) and not yet filed keeps the due date early
    Enrollment.objects.filter(pk__in=batch, followup_owed_by__isnull=False).filter(
        Q(last_followup_on__isnull=True) | Q(last_followup_on__lt=F("followup_owed_since"))
    ).update(next_due_on=Least(Coalesce(F("next_due_on"), F("followup_owed_by")), F("followup_owed_by")))
    Enrollment.objects.filter(pk__in=batch).update(
        risk_rose=ExpressionWrapper(
            Q(risk_percent__isnull=False, previous_risk_percent__isnull=False)
            & Q(risk_percent__gt=F("previous_risk_percent")),
            output_field=BooleanField(),
        )
    )


_RECOMPUTE_SQL = """
WITH b AS (SELECT unnest(%(ids)s::uuid[]) AS id),
ranked AS (
    -- one pass in the (enrollment, measured_at DESC) index order: rn = 1 is the latest follow-up, rc counts the
    -- risk-bearing ones so far, so rc = 1 / 2 on a row with a risk are the latest two risks
    SELECT f.enrollment_id, f.next_due_on, f.control_class, f.controlled, f.measured_at, f.risk_percent,
           row_number() OVER w AS rn, count(f.risk_percent) OVER w AS rc
    FROM care_followup f
    WHERE f.enrollment_id BETWEEN %(lo)s AND %(hi)s AND f.voided_at IS NULL
    WINDOW w AS (PARTITION BY f.enrollment_id ORDER BY f.measured_at DESC ROWS UNBOUNDED PRECEDING)
),
agg AS (
    SELECT enrollment_id,
           max(next_due_on) FILTER (WHERE rn = 1) AS next_due_on,
           max(control_class) FILTER (WHERE rn = 1) AS control_class,
           bool_or(controlled) FILTER (WHERE rn = 1) AS controlled,
           max((measured_at AT TIME ZONE %(tz)s)::date) FILTER (WHERE rn = 1) AS day,
           max(risk_percent) FILTER (WHERE rc = 1 AND risk_percent IS NOT NULL) AS r1,
           max(risk_percent) FILTER (WHERE rc = 2 AND risk_percent IS NOT NULL) AS r2
    FROM ranked
    GROUP BY enrollment_id
),
computed AS (
    SELECT b.id,
           CASE WHEN e.followup_owed_by IS NOT NULL AND (a.day IS NULL OR a.day < e.followup_owed_since)
                THEN LEAST(COALESCE(a.next_due_on, e.next_due_on), e.followup_owed_by)
                ELSE COALESCE(a.next_due_on, e.next_due_on) END AS next_due_on,
           COALESCE(a.control_class, e.control_class) AS control_class,
           a.controlled, a.day AS last_followup_on, a.r1, a.r2,
           COALESCE(a.r1 > a.r2, false) AS risk_rose
    FROM b JOIN care_enrollment e ON e.id = b.id
    LEFT JOIN agg a ON a.enrollment_id = b.id
)
UPDATE care_enrollment e
SET next_due_on = c.next_due_on, control_class = c.control_class, controlled = c.controlled,
    last_followup_on = c.last_followup_on, risk_percent = c.r1, previous_risk_percent = c.r2,
    risk_rose = c.risk_rose
FROM computed c
WHERE e.id = c.id
  AND (e.next_due_on, e.control_class, e.controlled, e.last_followup_on, e.risk_percent, e.previous_risk_percent,
       e.risk_rose)
      IS DISTINCT FROM
      (c.next_due_on, c.control_class, c.controlled, c.last_followup_on, c.r1, c.r2, c.risk_rose)
"""


def _recompute_batch_postgres(batch: list[Any]) -> None:
    """One statement per batch: the follow-ups of the batch's id range are read by the (enrollment, measured_at)
    index, and only rows whose derived state changed are written."""
    with connection.cursor() as cur:
        cur.execute(_RECOMPUTE_SQL, {"ids": batch, "lo": batch[0], "hi": batch[-1], "tz": settings.TIME_ZONE})


def _latest_day() -> Subquery:
    qs = FollowUp.objects.filter(enrollment_id=OuterRef("pk"), voided_at__isnull=True).order_by("-measured_at")
    return Subquery(qs.annotate(day=TruncDate("measured_at")).values("day")[:1])
