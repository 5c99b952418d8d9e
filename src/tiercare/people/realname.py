"""Real-name check (实名核验): does the name a person typed, with the ID number they typed, match the person on
file? The number is never stored; it is hashed under the ID key (``people.identity.hash_id``) and compared with the
person's stored hash, and the name is compared after removing spaces and unifying the middle dot of minority names.
"""

from __future__ import annotations

import hmac

from django.conf import settings

from tiercare.people.identity import hash_id, normalize_id_number
from tiercare.people.models import Person

MIDDLE_DOTS = "·•・‧.．"


def normalize_name(name: str) -> str:
    text = "".join((name or "").split())
    for dot in MIDDLE_DOTS:
        text = text.replace(dot, "·")
    return text


def real_name_matches(person: Person, *, name: str, id_number: str) -> bool:
    """True when ``name`` is the person's name and ``id_number`` the number whose hash is on file."""
    if not person.id_hash or not name or not id_number:
        return False
    number = normalize_id_number(id_number)
    if not number:
        return False
    same_number = hmac.compare_digest(hash_id(number, settings.ID_HASH_KEY), person.id_hash)
    return same_number and normalize_name(name) == normalize_name(person.name)
