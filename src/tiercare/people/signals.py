"""Signals of the people app, for apps above it (people may not import them).

``person_left``: a person died, moved away, or moved to another household (``person``, ``by``, ``on``, ``reason``).
Sent inside the writing transaction; the care app ends the person's family-doctor contract membership.
"""

from django.dispatch import Signal

person_left = Signal()
