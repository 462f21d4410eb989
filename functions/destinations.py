"""Destinations: the city a traveller means, and the hotels it has.

A city is matched without case, accents or extra spaces against the
directory of every destination (the ``city_directory`` view); a name no
destination has is refused with the closest known names. Pure, typed
functions, wired into the travel endpoints like those of
:mod:`groundwork.functions.travel`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from collections.abc import Sequence

from groundwork.functions.travel_errors import DataExpired, DataMissing, UnknownCity

CITY_DIRECTORY_KEY = "cities"
"""The entity key of the ``city_directory`` record that lists every destination."""
SUGGESTIONS = 3
"""How many known city names an ``unknown_city`` error suggests."""


def directory_key() -> str:
    """The key of the directory record listing every destination city."""
    return CITY_DIRECTORY_KEY


def normalised(name: str) -> str:
    """A name without case, accents or extra spaces: ``"  ZÜRICH "`` reads ``"zurich"``."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def closest_names(name: str, known: Sequence[str], count: int = SUGGESTIONS) -> list[str]:
    """The known names nearest to ``name``: those it mentions first, then by similarity."""
    wanted = normalised(name)
    words = set(wanted.replace(",", " ").split())
    mentioned = [city for city in known if normalised(city) in words or (
        " " in normalised(city) and normalised(city) in wanted)]
    by_similarity = sorted(
        known, key=lambda city: (-difflib.SequenceMatcher(None, wanted, normalised(city)).ratio(),
                                 city))
    ordered = [*mentioned, *(city for city in by_similarity if city not in mentioned)]
    return ordered[:count]


def city_name(city: str, city_names: list[str] | None,
              city_directory_as_of: dt.datetime | None) -> str:
    """The destination's name as the data spells it, matched without case or accents.

    Args:
        city: The city asked for.
        city_names: Every destination city's name.
        city_directory_as_of: When the directory was true (``None``: never synced).

    Raises:
        UnknownCity: with the closest known names.
        DataMissing: the directory of cities was never synced.
        DataExpired: the directory of cities has expired.
    """
    if city_names is None:
        if city_directory_as_of is None:
            raise DataMissing("city_directory", "The directory of cities")
        raise DataExpired("city_directory", "The directory of cities", city_directory_as_of)
    wanted = normalised(city)
    for known in city_names:
        if normalised(known) == wanted:
            return known
    raise UnknownCity(city, closest_names(city, city_names))


def city_hotels(city_name: str, city_hotel_ids: list[int] | None,
                city_top_hotels_as_of: dt.datetime | None) -> list[int]:
    """Every hotel of the city.

    Args:
        city_name: The destination.
        city_hotel_ids: The city's hotels.
        city_top_hotels_as_of: When the city's record was true (``None``: never synced).

    Raises:
        DataMissing: the city's record was never synced.
        DataExpired: the city's record has expired.
    """
    if city_hotel_ids is None:
        what = f"The hotel list of {city_name}"
        if city_top_hotels_as_of is None:
            raise DataMissing("city_top_hotels", what, city=city_name)
        raise DataExpired("city_top_hotels", what, city_top_hotels_as_of, city=city_name)
    return list(city_hotel_ids)
