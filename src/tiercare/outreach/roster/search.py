"""The large-neighbourhood search (``_Search``): from the incumbent (``_Incumbent``), LNS windows and then each
specialty's full model run as tasks (``_Task``, ``_run_task``) on a pool of forked processes (``_process_pool``)
or inline, one task per specialty at a time, so every result merges into the incumbent exactly."""

from __future__ import annotations

import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from tiercare.outreach.roster.bounds import FULL_PHASE_MIN_SECONDS, _flow_bounds
from tiercare.outreach.roster.guards import _check_guards
from tiercare.outreach.roster.incremental import _Roster, _roster_of
from tiercare.outreach.roster.model import _Ctx, _unscale
from tiercare.outreach.roster.neighbourhoods import _Neighbourhoods
from tiercare.outreach.roster.result import Progress, ProgressFn, _Clock
from tiercare.outreach.roster.window import _Window, _window_solver

# LNS tuning (seconds are wall-clock; measured on the 2-core benchmark machine).
LNS_SUBSOLVE_SECONDS = 1.0
"""Time limit of one LNS window solve."""
LNS_START_WINDOW_OPTIONS = 1_500
"""Initial size of an LNS window, in free legal options; adapted as windows solve fast or slow."""
LNS_MIN_WINDOW_OPTIONS = 200
LNS_MIN_TASK_SECONDS = 0.05
TASK_OVERHEAD_SECONDS = 0.05
"""Time to hand a task to a process and rebuild the roster there."""
LNS_MAX_WINDOW_OPTIONS = 12_000
LNS_GROW = 1.25
LNS_SHRINK = 0.8

_DEBUG = bool(os.environ.get("TIERCARE_ROSTER_DEBUG"))


class _Incumbent:
    """The best roster so far, its scaled score and progress reporting."""

    def __init__(self, ro: _Roster, clock: _Clock, progress: ProgressFn | None, phase: str) -> None:
        self.ro = ro
        self.value = ro.scaled_score()
        self.clock = clock
        self.progress = progress
        self.bound: int | None = None
        self.history: list[tuple[float, int | float, str]] = [(clock.elapsed(), _unscale(self.value), phase)]
        self._emit(phase)

    def _emit(self, phase: str) -> None:
        if self.progress is not None:
            bound = None if self.bound is None else _unscale(self.bound)
            self.progress(Progress(round(self.clock.elapsed(), 3), _unscale(self.value), bound, phase))

    def offer(self, ro: _Roster, phase: str, value: int | None = None) -> bool:
        """Take ``ro`` if it scores at least as well (ties accepted to move on plateaus)."""
        value = ro.scaled_score() if value is None else value
        if value < self.value:
            return False
        improved = value > self.value
        self.ro, self.value = ro, value
        if improved:
            self.history.append((self.clock.elapsed(), _unscale(value), phase))
            self._emit(phase)
        return True

    def set_bound(self, bound: int, phase: str) -> None:
        if self.bound is None or bound < self.bound:
            self.bound = max(bound, self.value)
            self._emit(phase)


TASK_FULL = "full"
"""Task kind: the full model of one specialty (proven bound, sometimes a better roster)."""
TASK_FLOW = "flow"
"""Task kind: the flow relaxation bound of every specialty."""


@dataclass(frozen=True, slots=True)
class _Task:
    """One unit of work from a snapshot of the incumbent (``assign``: option per request or −1): an LNS
    window (``kind`` in ``_Neighbourhoods.KINDS``), a specialty's full model (``TASK_FULL``) or the flow bound
    (``TASK_FLOW``)."""

    kind: str
    specialty: int
    experts: tuple[int, ...]
    days: tuple[int, ...] | None
    assign: tuple[int, ...]
    locked: frozenset[int]
    seconds: float
    seed: int  # also the task's unique number within a search


@dataclass(frozen=True, slots=True)
class _TaskResult:
    """New options for the specialty's free requests (None when CP-SAT found nothing) and, for bound tasks,
    upper bounds (scaled) of the specialty's score part (``bounds[sp]``, None = unknown)."""

    task: _Task
    free: tuple[int, ...]
    chosen: tuple[int, ...] | None
    optimal: bool
    size: int
    wall: float
    bounds: tuple[int | None, ...] | None = None


def _run_task(ctx: _Ctx, task: _Task, base: _Roster | None = None) -> _TaskResult:
    """Run one task (in a pool process, or inline with ``base`` = the incumbent).  Windows and full models
    use one CP-SAT worker each (``_window_solver``)."""
    t0 = time.perf_counter()
    if task.kind == TASK_FLOW:
        flow_bounds: tuple[int | None, ...] = tuple(_flow_bounds(ctx))
        return _TaskResult(task, (), None, True, 0, time.perf_counter() - t0, flow_bounds)
    ro = base if base is not None else _roster_of(ctx, task.assign)
    window = _Window(ro, task.experts, task.days, task.locked)
    free = tuple(r for r in window.free_requests if ctx.r_spec[r] == task.specialty)
    if not window.size:
        return _TaskResult(task, free, None, True, 0, 0.0)
    window.add_hint(ro)
    solver = _window_solver(task.seconds, 1, seed=task.seed)
    status = solver.solve(window.model)
    chosen = None
    bounds: tuple[int | None, ...] | None = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = tuple(window.chosen(solver.boolean_value))
        if task.kind == TASK_FULL:
            # window objective = specialty part − constant; the hint fixes the constant.
            const = ro.scaled_score_by_specialty()[task.specialty] - window.evaluate(window.hint_values(ro))
            sp_bounds: list[int | None] = [None] * len(ctx.specs)
            sp_bounds[task.specialty] = math.floor(solver.best_objective_bound + 1e-6) + const
            bounds = tuple(sp_bounds)
    return _TaskResult(task, free, chosen, status == cp_model.OPTIMAL, window.size, solver.wall_time, bounds)


_WORKER_CTX: _Ctx | None = None


def _worker_init(ctx: _Ctx) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _worker_run(task: _Task) -> _TaskResult:
    assert _WORKER_CTX is not None
    return _run_task(_WORKER_CTX, task)


def _process_pool(ctx: _Ctx, workers: int) -> Any:
    """A ``multiprocessing`` pool of ``workers`` forked processes (they inherit the compiled instance), or
    None when forking is unavailable (not POSIX, or inside a daemonic process); the search then runs its tasks
    one by one in this process.  A pool (rather than ``concurrent.futures``) can be terminated at the
    deadline without waiting for a straggling task."""
    import multiprocessing

    _check_guards()
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    if multiprocessing.current_process().daemon:
        return None
    try:
        return multiprocessing.get_context("fork").Pool(processes=workers, initializer=_worker_init, initargs=(ctx,))
    except (OSError, ValueError):  # pragma: no cover - platform dependent
        return None


class _Search:
    """Runs the LNS windows, then the per-specialty full models, on a pool of processes (or inline).

    Tasks running at the same time are in different specialties, and only one task per specialty is in
    flight, so each result is applied to the current incumbent exactly: it only changes its own specialty,
    which nothing else touched since its snapshot.  A result is kept when the complete roster scores at least
    as well.
    """

    def __init__(
        self,
        inc: _Incumbent,
        clock: _Clock,
        workers: int,
        locked: frozenset[int],
        rng: random.Random,
        stats: dict[str, Any],
    ) -> None:
        self.inc = inc
        self.clock = clock
        self.workers = max(1, workers)
        self.locked = locked
        self.rng = rng
        self.stats = stats
        self.ctx = inc.ro.ctx
        n_s = len(self.ctx.specs)
        self.flow_bounds: list[int] | None = None
        self.full_bounds: list[int | None] = [None] * n_s
        self.hoods = _Neighbourhoods(self.ctx, rng, locked)
        kinds = _Neighbourhoods.KINDS
        start = float(min(LNS_START_WINDOW_OPTIONS, max(LNS_MIN_WINDOW_OPTIONS, self.ctx.n_o // 2)))
        self.target = dict.fromkeys(kinds, start)
        self.gains = dict.fromkeys(kinds, 1.0)
        self.tried: Counter[str] = Counter()
        self.improved: Counter[str] = Counter()
        self.seq = 0
        self.full_todo: list[int] = []

    # -- task production -------------------------------------------------------------------------------------
    def _task(self, kind: str, sp: int, experts: Sequence[int], days: Sequence[int] | None, seconds: float) -> _Task:
        self.seq += 1
        return _Task(
            kind,
            sp,
            tuple(experts),
            None if days is None else tuple(days),
            tuple(self.inc.ro.assign),
            self.locked,
            seconds,
            self.seq,
        )

    def next_task(self, busy: set[int], lns_until: float) -> _Task | None:
        if self.inc.bound is not None and self.inc.value >= self.inc.bound:
            return None  # proven optimal
        now = time.perf_counter()
        if now < lns_until - LNS_MIN_TASK_SECONDS:
            hoods, kinds = self.hoods, _Neighbourhoods.KINDS
            for _ in range(10):
                sp = hoods.pick_specialty(busy)
                if sp is None:
                    return None
                kind = self.rng.choices(kinds, weights=[self.gains[k] for k in kinds])[0]
                experts, days = hoods.pick(kind, sp, self.inc.ro, self.target[kind])
                if experts:
                    # Leave room for building the window (about 30 µs per option) inside the deadline.
                    build = TASK_OVERHEAD_SECONDS + 30e-6 * self.target[kind]
                    seconds = min(LNS_SUBSOLVE_SECONDS, lns_until - now - build)
                    if seconds < LNS_MIN_TASK_SECONDS:
                        return None
                    return self._task(kind, sp, experts, days, seconds)
            return None
        left = self.clock.deadline - now
        for sp in list(self.full_todo):
            if sp in busy:
                continue
            if left < FULL_PHASE_MIN_SECONDS / 2:
                return None
            self.full_todo.remove(sp)
            # Share what is left among the specialties still to run, ``workers`` at a time.
            rounds = math.ceil((len(self.full_todo) + 1 + len(busy)) / self.workers)
            return self._task(TASK_FULL, sp, self.ctx.spec_experts[sp], None, left / max(1, rounds))
        return None

    # -- result consumption ----------------------------------------------------------------------------------
    def absorb(self, res: _TaskResult) -> None:
        task, inc = res.task, self.inc
        kind = task.kind
        if kind == TASK_FLOW:
            self.flow_bounds = [b for b in res.bounds or () if b is not None]
            self._update_bound()
            return
        gain = 0
        if res.chosen is not None:
            candidate = inc.ro.copy()
            for r in res.free:
                candidate.remove(r)
            for o in res.chosen:
                candidate.add(o)
            value = candidate.scaled_score()
            gain = value - inc.value
            inc.offer(candidate, "full" if kind == TASK_FULL else "lns", value)
        if _DEBUG:
            print(
                f"[search] {self.clock.elapsed():6.2f} sp={task.specialty} {kind:10s} n={res.size:5d} "
                f"opt={res.optimal!s:5s} t={res.wall:.2f} gain={gain}",
                file=sys.stderr,
            )
        if kind == TASK_FULL:
            self.tried[kind] += 1
            if res.bounds is not None and res.bounds[task.specialty] is not None:
                self.full_bounds[task.specialty] = res.bounds[task.specialty]
                self._update_bound()
            return
        self.tried[kind] += 1
        if res.optimal:
            self.target[kind] = min(LNS_MAX_WINDOW_OPTIONS, max(self.target[kind], res.size) * LNS_GROW)
        else:
            self.target[kind] = max(LNS_MIN_WINDOW_OPTIONS, min(self.target[kind], res.size) * LNS_SHRINK)
        if gain > 0:
            self.improved[kind] += 1
            self.gains[kind] = 0.8 * self.gains[kind] + 0.2 * (1.0 + min(gain, 10_000) / 1_000)
        else:
            self.gains[kind] = max(0.2, 0.95 * self.gains[kind])

    def _update_bound(self) -> None:
        """Σ over specialties of the best bound known for each (flow, or full model when tighter)."""
        if self.flow_bounds is None:
            return
        total = 0
        for sp, flow_b in enumerate(self.flow_bounds):
            full_b = self.full_bounds[sp]
            total += flow_b if full_b is None else min(flow_b, full_b)
        self.inc.set_bound(total, "bound")

    # -- driver ----------------------------------------------------------------------------------------------
    def run(self, bound_time: float) -> None:
        ctx = self.ctx
        lns_until = self.clock.deadline - bound_time
        if bound_time:
            self.full_todo = sorted(
                (sp for sp in range(len(ctx.specs)) if ctx.spec_experts[sp]),
                key=lambda sp: -sum(len(ctx.e_opts[e]) for e in ctx.spec_experts[sp]),
            )
        flow_task = _Task(TASK_FLOW, -1, (), None, (), self.locked, 0.0, 0)
        pool = _process_pool(ctx, self.workers) if self.hoods.specs else None
        self.stats["processes"] = self.workers if pool is not None else 1
        if pool is None:
            self.absorb(_run_task(ctx, flow_task))
            while (task := self.next_task(set(), lns_until)) is not None:
                self.absorb(_run_task(ctx, task, self.inc.ro))
        else:
            import queue

            results: queue.Queue[Any] = queue.Queue()
            running: dict[int, int] = {}  # task number -> specialty (-1 for the flow bound)
            try:
                pool.apply_async(_worker_run, (flow_task,), callback=results.put, error_callback=results.put)
                running[flow_task.seed] = -1
                while True:
                    while len(running) < self.workers:
                        task = self.next_task({sp for sp in running.values() if sp >= 0}, lns_until)
                        if task is None:
                            break
                        running[task.seed] = task.specialty
                        pool.apply_async(_worker_run, (task,), callback=results.put, error_callback=results.put)
                    if not running:
                        break
                    left = self.clock.deadline - time.perf_counter()
                    if left <= 0:
                        break  # stragglers are abandoned: the pool is terminated below
                    until_lns = lns_until - time.perf_counter()
                    # Wake at the end of the LNS phase to start the bound tasks in any free process.
                    timeout = min(left, until_lns + 0.01) if until_lns > 0 else left
                    try:
                        res = results.get(timeout=timeout)
                    except queue.Empty:
                        continue
                    if isinstance(res, BaseException):
                        raise res
                    del running[res.task.seed]
                    self.absorb(res)
            finally:
                pool.terminate()
                pool.join()
        self.stats["lns_windows"] = {k: v for k, v in self.tried.items() if k != TASK_FULL}
        self.stats["lns_improving_windows"] = dict(self.improved)
        self.stats["lns_window_targets"] = {k: int(v) for k, v in self.target.items()}
        self.stats["full_models"] = self.tried[TASK_FULL]
        self.stats["flow_bound"] = None if self.flow_bounds is None else _unscale(sum(self.flow_bounds))
        full = self.full_bounds
        self.stats["full_model_bound"] = (
            None
            if None in [full[sp] for sp in range(len(full)) if ctx.spec_experts[sp]]
            else _unscale(sum(b for b in full if b is not None))
        )
