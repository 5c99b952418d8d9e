"""The seam by which people narrows a GP's households to their team's, without importing care (ADR 0005).

People sits below care (care's models point at people's): a household contracted with a family-doctor team is seen
only by that team's ACTIVE members (issues 6 and 10), but the teams and contracts are care's. So people declares here
what it needs, :class:`TeamScope`, and the care app registers its implementation
(``tiercare.care.scope.household_team_q``) at start-up in ``CareConfig.ready()``. ``people.selectors`` calls
:func:`team_scope` for GPs and health managers; with nothing registered that raises ``ImproperlyConfigured`` rather
than showing every household of the center.
"""

from __future__ import annotations

from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from tiercare.core.models import User


class TeamScope(Protocol):
    """A filter on a model that reaches ``Household`` through ``household_field`` (``"pk"`` on Household itself):
    the households ``user``'s active team may see among those their organizations may."""

    def __call__(self, user: User, household_field: str) -> Q: ...


_scope: TeamScope | None = None


def register_team_scope(scope: TeamScope | None) -> TeamScope | None:
    """Make ``scope`` the team scope people applies (``None``: none); returns the one registered before. Called
    once, by the care app's ``ready()``."""
    global _scope
    previous, _scope = _scope, scope
    return previous


def team_scope() -> TeamScope:
    """The registered team scope. Raises ImproperlyConfigured when none is (the care app is not in
    ``INSTALLED_APPS``, or its ``ready()`` did not run)."""
    if _scope is None:
        raise ImproperlyConfigured(
            "people has no team scope: tiercare.care registers one in CareConfig.ready() "
            "(tiercare.people.team_scope.register_team_scope); is it in INSTALLED_APPS?"
        )
    return _scope
