"""`manage.py roster plan --from 2026-12-01 --weeks 4` plans the network's open requests (progress, coverage,
the unmet list); `manage.py roster solve --instance FILE --seconds 10` solves a ROSTER.md instance file and prints
the solution JSON (outreach/roster_cli.py). Also `python -m tiercare roster …`."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tiercare.core.errors import DomainError
from tiercare.core.models import Role, User


class Command(BaseCommand):
    help = "Plan the outreach roster (plan) or solve a roster instance file (solve)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["plan", "solve"])
        parser.add_argument("--from", dest="start", help="first day of the horizon, YYYY-MM-DD (plan)")
        parser.add_argument("--weeks", type=int, default=4, help="weeks to plan (plan)")
        parser.add_argument("--seconds", type=float, default=10.0, help="solver time limit")
        parser.add_argument("--user", default="", help="operations user recorded as planner (plan)")
        parser.add_argument("rest", nargs="*", help="further options passed to the solver CLI (solve)")

    def run_from_argv(self, argv: list[str]) -> None:
        # `roster solve …` (and `roster validate …`) belong to roster_cli.main, which owns its own options.
        if len(argv) > 2 and argv[2] in ("solve", "validate"):
            from tiercare.outreach import roster_cli

            sys.exit(roster_cli.main(argv[2:]) or 0)
        super().run_from_argv(argv)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "solve":
            from tiercare.outreach import roster_cli

            code = roster_cli.main(["solve", "--seconds", str(opts["seconds"]), *opts["rest"]])
            if code:
                raise CommandError(f"roster solve exited with {code}")
            return
        self._plan(opts)

    def _plan(self, opts: dict[str, Any]) -> None:
        from tiercare.outreach.services import plan_create

        try:
            start = date.fromisoformat(opts["start"]) if opts["start"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--from: {opts['start']!r} is not a date YYYY-MM-DD") from exc
        qs = User.objects.filter(role__in=[Role.OPS, Role.ADMIN], is_active=True)
        user = qs.filter(username=opts["user"]).first() if opts["user"] else qs.order_by("role", "username").first()
        if user is None:
            raise CommandError("no active operations user to record as planner (--user)")
        out = self.stdout

        def progress(event: Any) -> None:
            bound = f" bound {event.bound}" if getattr(event, "bound", None) is not None else ""
            out.write(f"\r  {event.seconds:6.1f}s  {event.phase:<10} objective {event.objective}{bound}   ", ending="")
            out.flush()

        out.write(f"Planning {opts['weeks']} week(s) from {start} ({opts['seconds']:.0f} s)…")
        try:
            plan = plan_create(by=user, start=start, weeks=opts["weeks"], seconds=opts["seconds"], progress=progress)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        stats = plan.stats
        total, covered = stats.get("requests", 0), stats.get("covered", 0)
        out.write("")
        pct = f"{100 * covered / total:.1f}%" if total else "–"
        out.write(
            f"Plan {plan.pk}: {covered} of {total} sessions covered ({pct}); objective {plan.objective}"
            f"{'' if plan.bound is None else f', bound {plan.bound}'}; {plan.seconds:.1f} s"
        )
        if plan.uncovered:
            out.write(f"Unmet ({len(plan.uncovered)}):")
            for u in plan.uncovered:
                out.write(
                    f"  - {u['kind']:<10} P{u['priority']} {u['days'][0]}…{u['days'][-1]} "
                    f"dept {u['department'][:8]}: {u['reason']}: {u['message']}"
                )
        else:
            out.write("Unmet: none")
