"""Labelled queries over the hotel descriptions, for measuring search relevance.

A query is a traveller's sentence ("a quiet boutique hotel near the old town with a
spa"), a city, and the hotels of that city that truly match it. The truth is decided
by the query's :class:`Wish` against each hotel's attributes (its profile from
:mod:`groundwork.features.sample_descriptions` and its amenities), never by the words
of the description.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from groundwork.features.sample_descriptions import description_rng


@dataclass(frozen=True, slots=True)
class Wish:
    """What a traveller asks for; every field left empty accepts any hotel.

    Attributes:
        area: Kind of neighbourhood (one of ``sample_phrases.AREAS``).
        style: Style of hotel (one of ``sample_phrases.STYLES``).
        noise: Noise level (one of ``sample_phrases.NOISE_LEVELS``).
        view: View from the rooms (one of ``sample_phrases.VIEWS``).
        amenities: Amenities the hotel must all have.
        suits: Kind of traveller the hotel must suit (one of ``sample_phrases.SUITS``).
    """

    area: str = ""
    style: str = ""
    noise: str = ""
    view: str = ""
    amenities: tuple[str, ...] = ()
    suits: str = ""

    def accepts(self, hotel: Mapping[str, Any]) -> bool:
        """Whether a hotel (a row of profile and amenities) grants the wish."""
        fields = ("area", "style", "noise", "view")
        if any(getattr(self, key) and hotel[key] != getattr(self, key) for key in fields):
            return False
        return all(a in hotel["amenities"] for a in self.amenities) and (
            not self.suits or self.suits in hotel["suits"]
        )


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    """A query, the city it is asked in, and the hotels that truly match it.

    Attributes:
        text: The traveller's words.
        city: The city the search is filtered by.
        wish: The attributes the words ask for.
        relevant: Ids of the hotels of ``city`` that grant the wish, ascending.
    """

    text: str
    city: str
    wish: Wish
    relevant: tuple[int, ...]


QUERIES: tuple[tuple[str, Wish], ...] = (
    ("a quiet boutique hotel near the old town with a spa",
     Wish(area="old_town", style="boutique", noise="quiet", amenities=("spa",))),
    ("family hotel by the beach with a pool",
     Wish(area="beach", style="family", amenities=("pool",))),
    ("peaceful place to stay in the historic centre", Wish(area="old_town", noise="quiet")),
    ("somewhere calm next to a park", Wish(area="park", noise="quiet")),
    ("design hotel in the financial district with a gym",
     Wish(area="business_district", style="design", amenities=("gym",))),
    ("hotel for a work trip near the offices", Wish(area="business_district", suits="business")),
    ("romantic hotel for two with a sea view", Wish(view="sea", suits="couples")),
    ("room overlooking the river", Wish(view="river")),
    ("cheap basic hotel in the old quarter", Wish(area="old_town", style="simple")),
    ("budget hotel close to the beach", Wish(area="beach", style="simple")),
    ("luxury palace hotel with a spa", Wish(style="grand", amenities=("spa",))),
    ("grand hotel with a restaurant on the riverside",
     Wish(area="riverside", style="grand", amenities=("restaurant",))),
    ("where to stay with kids, with a swimming pool", Wish(suits="families", amenities=("pool",))),
    ("lively hotel near the bars and nightlife", Wish(noise="lively", suits="nightlife")),
    ("small charming hotel with views over the rooftops", Wish(style="boutique", view="rooftops")),
    ("modern stylish hotel with skyline views", Wish(style="design", view="skyline")),
    ("quiet hotel with a garden", Wish(noise="quiet", view="garden")),
    ("dog friendly hotel by the park", Wish(area="park", amenities=("pet_friendly",))),
    ("beach hotel with wellness and massages", Wish(area="beach", amenities=("spa",))),
    ("family friendly hotel in the old town", Wish(area="old_town", suits="families")),
    ("hotel by the river where I can sleep well", Wish(area="riverside", noise="quiet")),
    ("couples retreat with a spa, away from the noise",
     Wish(suits="couples", noise="quiet", amenities=("spa",))),
    ("business hotel with parking and an airport shuttle",
     Wish(suits="business", amenities=("parking", "airport_shuttle"))),
    ("boutique hotel with breakfast and a bar",
     Wish(style="boutique", amenities=("breakfast", "bar"))),
)
CITIES_PER_QUERY = 3


def labelled_queries(descriptions: pa.Table, hotels: pa.Table, seed: int) -> list[LabelledQuery]:
    """Every query of :data:`QUERIES` in up to three cities where some hotel matches it.

    Args:
        descriptions: The ``hotel_descriptions`` dataset.
        hotels: The ``hotels`` dataset (for the amenities).
        seed: The sample seed; it decides which of the matching cities each query uses.

    Returns:
        The labelled queries, each with at least one relevant hotel.
    """
    rows = _hotel_rows(descriptions, hotels)
    rng = np.random.default_rng(description_rng(seed).integers(0, 2**63))
    out: list[LabelledQuery] = []
    for text, wish in QUERIES:
        by_city: dict[str, list[int]] = {}
        for row in rows:
            if wish.accepts(row):
                by_city.setdefault(row["city"], []).append(row["hotel_id"])
        cities = sorted(by_city)
        chosen = rng.permutation(len(cities))[:CITIES_PER_QUERY].tolist()
        out.extend(LabelledQuery(text, cities[i], wish, tuple(sorted(by_city[cities[i]])))
                   for i in sorted(chosen))
    return out


def _hotel_rows(descriptions: pa.Table, hotels: pa.Table) -> Sequence[dict[str, Any]]:
    """Each hotel's profile joined with its amenities, in hotel id order."""
    amenities = dict(zip(hotels["hotel_id"].to_pylist(), hotels["amenities"].to_pylist(),
                         strict=True))
    rows = descriptions.drop_columns(["description"]).to_pylist()
    for row in rows:
        row["amenities"] = amenities[row["hotel_id"]]
    return rows
