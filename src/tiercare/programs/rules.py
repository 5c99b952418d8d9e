"""The partner pipeline's moves as a table (prospect → assessed → agreement signed → building → evaluated →
graduated, or ended from any open stage with a reason): nothing else decides a program's stage."""

from __future__ import annotations

from tiercare.programs.models import Stage

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Stage.PROSPECT: (Stage.ASSESSED, Stage.ENDED),
    Stage.ASSESSED: (Stage.AGREEMENT_SIGNED, Stage.ENDED),
    Stage.AGREEMENT_SIGNED: (Stage.BUILDING, Stage.ENDED),
    Stage.BUILDING: (Stage.EVALUATED, Stage.ENDED),
    Stage.EVALUATED: (Stage.GRADUATED, Stage.ENDED),
    Stage.GRADUATED: (),
    Stage.ENDED: (),
}
REASON_REQUIRED = {Stage.ENDED}


def legal_moves(stage: str) -> tuple[str, ...]:
    return TRANSITIONS.get(stage, ())
