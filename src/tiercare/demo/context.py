"""The seed's random generator, the demo's today and the deterministic helpers every part of the demo draws with
(ids, names, coordinates, mobile numbers, resident ids). One generator is shared in a fixed order, so a seed gives
the same demo: a part that draws more must use a generator of its own."""

from __future__ import annotations

import random
import uuid
from datetime import date

from django.conf import settings

from tiercare.demo.data import GIVEN_CHARS, PREFECTURE_CENTRES, SURNAMES
from tiercare.people.identity import check_char


class DemoContext:
    """What every part of the demo draws from; ``DemoBuilder`` is one."""

    def __init__(self, *, seed: int = 2024, today: date | None = None, households: int = 300):
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today or date.today()
        self.n_households = households
        self.id_key = settings.ID_HASH_KEY

    # -- deterministic helpers ----------------------------------------------------------------------------------
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def person_name(self, sex: str) -> str:
        given = "".join(self.rng.choice(GIVEN_CHARS) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def coordinates(self, county_code: str) -> tuple[float, float]:
        lat, lon = PREFECTURE_CENTRES.get(county_code[:4], (30.5, 104.5))
        return round(lat + self.rng.uniform(-0.45, 0.45), 5), round(lon + self.rng.uniform(-0.45, 0.45), 5)

    def mobile(self) -> str:
        prefix = self.rng.choice(["138", "139", "136", "150", "151", "158", "186", "187", "135", "177"])
        return prefix + "".join(str(self.rng.randrange(10)) for _ in range(8))

    def resident_id(self, county_code: str, birth: date, sex: str) -> str:
        seq = self.rng.randrange(0, 50) * 2 + (1 if sex == "1" else 0)
        first17 = f"{county_code}{birth:%Y%m%d}{self.rng.randrange(10)}{seq:02d}"
        first17 = first17[:17]
        return first17 + check_char(first17)
