"""Command line for the roster optimiser (``outreach/roster/``); no Django.

``solve`` reads a ROSTER.md instance, prints the solution JSON on stdout and progress plus a summary on
stderr; ``validate`` checks a solution file against an instance and prints its violations and score::

    roster solve --instance FILE [--seconds 10] [--workers 2] [--greedy-only] [--seed 0] [--no-bound]
                 [--output FILE] [--quiet]
    roster validate --instance FILE --solution FILE

The subcommand may be left out (``solve`` is the default), so ``manage.py roster solve --instance FILE``
can pass its remaining arguments straight through.  Exit codes: 0 success, 1 the validated solution breaks
a rule, 2 bad usage or a missing / invalid file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from typing import Any, TextIO

from tiercare.outreach import roster

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2
COMMANDS = ("solve", "validate")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roster",
        description="Solve or check an expert-outreach roster instance (tiercare-roster-instance/1).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    solve = sub.add_parser("solve", help="optimise a roster and print the solution JSON")
    solve.add_argument("--instance", required=True, help="instance JSON file (ROSTER.md format)")
    solve.add_argument("--seconds", type=float, default=10.0, help="wall-clock time limit (default 10)")
    solve.add_argument("--workers", type=int, default=roster.DEFAULT_WORKERS, help="parallel workers (2)")
    solve.add_argument("--greedy-only", action="store_true", help="only the greedy baseline, no CP-SAT")
    solve.add_argument("--seed", type=int, default=0, help="random seed of the neighbourhood search")
    solve.add_argument("--no-bound", action="store_true", help="skip the full-model bound phase")
    solve.add_argument("--output", help="write the solution JSON to this file instead of stdout")
    solve.add_argument("--quiet", action="store_true", help="no progress on stderr, only the summary")
    check = sub.add_parser("validate", help="check a solution file: violations and score")
    check.add_argument("--instance", required=True, help="instance JSON file (ROSTER.md format)")
    check.add_argument("--solution", required=True, help='solution JSON file ({"assignments": [...]})')
    return parser


def _load(path: str, err: TextIO) -> roster.Instance | None:
    try:
        return roster.load_instance(path)
    except OSError as exc:
        print(f"roster: cannot read instance {path!r}: {exc.strerror or exc}", file=err)
    except ValueError as exc:
        print(f"roster: {path}: {exc}", file=err)
    return None


def _summary(result: dict[str, Any]) -> str:
    stats = result.get("stats", {})
    bound = result.get("bound")
    gap = stats.get("gap")
    parts = [
        f"covered {stats.get('covered')}/{stats.get('requests')}",
        f"travel {stats.get('travel_hours')} h",
        f"continuity {stats.get('continuity')}",
        f"load spread {stats.get('load_spread')}",
        f"objective {result.get('objective')}",
        f"bound {bound}" + ("" if gap is None else f" (gap {100 * gap:.2f}%)"),
        f"{result.get('seconds')} s",
    ]
    return "roster: " + ", ".join(parts)


def _solve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.seconds <= 0:
        print("roster: --seconds must be positive", file=err)
        return EXIT_USAGE
    if args.workers < 1:
        print("roster: --workers must be at least 1", file=err)
        return EXIT_USAGE
    t0 = time.perf_counter()
    inst = _load(args.instance, err)
    if inst is None:
        return EXIT_USAGE
    if args.greedy_only:
        assignments = roster.greedy(inst)
        breakdown = roster.score(inst, assignments)
        result: dict[str, Any] = {
            "assignments": [a.as_dict() for a in assignments],
            "uncovered": roster.explain_uncovered(inst, assignments),
            "objective": breakdown.objective,
            "bound": None,
            "seconds": round(time.perf_counter() - t0, 3),
            "stats": {**breakdown.as_dict(), "gap": None, "solver": "greedy"},
        }
    else:

        def progress(event: roster.Progress) -> None:
            if not args.quiet:
                bound = "" if event.bound is None else f"  bound {event.bound}"
                print(f"  {event.seconds:7.2f}s  {event.phase:<8} objective {event.objective}{bound}", file=err)

        solved = roster.solve(
            inst,
            seconds=max(0.0, args.seconds - (time.perf_counter() - t0)),
            workers=args.workers,
            progress=progress,
            seed=args.seed,
            bound=not args.no_bound,
        )
        result = solved.to_dict()
        result["seconds"] = round(time.perf_counter() - t0, 3)
    text = json.dumps(result, ensure_ascii=False)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            print(f"roster: cannot write {args.output!r}: {exc.strerror or exc}", file=err)
            return EXIT_USAGE
    else:
        try:
            print(text, file=out)
            out.flush()
        except BrokenPipeError:  # e.g. piped into `head`; the summary still goes to stderr
            pass
    print(_summary(result), file=err)
    return EXIT_OK


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    inst = _load(args.instance, err)
    if inst is None:
        return EXIT_USAGE
    try:
        with open(args.solution, encoding="utf-8") as fh:
            solution = json.load(fh)
    except OSError as exc:
        print(f"roster: cannot read solution {args.solution!r}: {exc.strerror or exc}", file=err)
        return EXIT_USAGE
    except json.JSONDecodeError as exc:
        print(f"roster: {args.solution} is not JSON: {exc}", file=err)
        return EXIT_USAGE
    items = solution.get("assignments") if isinstance(solution, dict) else None
    if not isinstance(items, list):
        print(f'roster: {args.solution}: expected an object with an "assignments" list', file=err)
        return EXIT_USAGE
    violations = roster.validate(inst, items)
    report: dict[str, Any] = {"legal": not violations, "violations": violations}
    if not any(v.startswith(("unknown_", "malformed", "bad_day")) for v in violations):
        report["score"] = roster.score(inst, items).as_dict()
    print(json.dumps(report, ensure_ascii=False), file=out)
    print(
        f"roster: {len(violations)} violation(s)"
        + (f"; objective {report['score']['objective']}" if "score" in report else ""),
        file=err,
    )
    return EXIT_VIOLATIONS if violations else EXIT_OK


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 violations found, 2 usage or file error)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in (*COMMANDS, "-h", "--help"):
        args_list.insert(0, "solve")  # `roster --instance F` means `roster solve --instance F`
    parser = _parser()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse reports usage errors on stderr and exits 2
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if args.command == "validate":
        return _validate(args, out, err)
    return _solve(args, out, err)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
