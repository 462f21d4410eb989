"""Hotel descriptions of the travel sample data, generated from drawn attributes.

Each hotel of the ``hotels`` dataset gets a profile (the kind of neighbourhood, the
style, the noise level, the view and who it suits) and a description written from that
profile and the hotel's amenities. Attributes come first and the text is only their
rendering, so the labelled queries of :mod:`groundwork.features.sample_queries` can
say which hotels truly match from the attributes, never from the words.

The profiles are drawn from their own random stream of the sample seed, so adding them
changed no other dataset.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from groundwork.features.sample_phrases import (
    AMENITY_PHRASES,
    AMENITY_SENTENCES,
    AREA_PHRASES,
    AREA_VIEW,
    AREAS,
    COASTAL_CITIES,
    NOISE_LEVELS,
    NOISE_PHRASES,
    NOISE_WEIGHTS_BY_AREA,
    OPENINGS,
    STYLE_PHRASES,
    STYLE_WEIGHTS_BY_STARS,
    STYLES,
    SUITS_PHRASES,
    VIEW_PHRASES,
)

DESCRIPTION_STREAM = 4
"""Index of the description stream among the children of the sample seed's sequence."""

AREA_WEIGHTS = np.array([0.3, 0.2, 0.15, 0.2, 0.15])  # in the order of AREAS
INLAND_AREA_WEIGHTS = np.where(np.array(AREAS) == "beach", 0.0, AREA_WEIGHTS)


def description_rng(seed: int) -> np.random.Generator:
    """The random stream of the descriptions: a child of the seed no other dataset uses."""
    sequence = np.random.SeedSequence(seed, spawn_key=(DESCRIPTION_STREAM,))
    return np.random.default_rng(sequence)


def suits(style: str, area: str, noise: str, amenities: list[str]) -> list[str]:
    """Who a hotel suits, decided by its attributes alone.

    Args:
        style: One of ``STYLES``.
        area: One of ``AREAS``.
        noise: One of ``NOISE_LEVELS``.
        amenities: The hotel's amenities.

    Returns:
        The travellers it suits, in the order of ``SUITS``.
    """
    out = []
    if style == "family" or "family_rooms" in amenities:
        out.append("families")
    if style in ("boutique", "design", "grand") and noise != "lively":
        out.append("couples")
    if area == "business_district" or (style in ("design", "grand") and "gym" in amenities):
        out.append("business")
    if noise == "lively" and style != "family":
        out.append("nightlife")
    return out


def hotel_descriptions(hotels: pa.Table, seed: int) -> pa.Table:
    """The profile and description of every hotel.

    Args:
        hotels: The ``hotels`` dataset (``hotel_id``, ``name``, ``city``, ``stars``,
            ``amenities``).
        seed: The sample seed; the same hotels and seed always give the same table.

    Returns:
        One row per hotel: ``hotel_id``, ``city``, ``area``, ``style``, ``noise``,
        ``view``, ``suits`` (list) and ``description``.
    """
    rng = description_rng(seed)
    count = hotels.num_rows
    cities = hotels["city"].to_pylist()
    stars = np.asarray(hotels["stars"].to_numpy()) - 1
    coastal = np.array([city in COASTAL_CITIES for city in cities])
    area = _weighted(rng, np.where(coastal[:, None], AREA_WEIGHTS, INLAND_AREA_WEIGHTS))
    style = _weighted(rng, np.array(STYLE_WEIGHTS_BY_STARS)[stars])
    noise = _weighted(rng, np.array([NOISE_WEIGHTS_BY_AREA[AREAS[a]] for a in area]))
    view_kind = rng.random(count)
    picks = rng.integers(0, 1_000_000, size=(count, 8))
    rows: dict[str, list[object]] = {name: [] for name in
                                     ("area", "style", "noise", "view", "suits", "description")}
    for index, (name, amenities) in enumerate(
        zip(hotels["name"].to_pylist(), hotels["amenities"].to_pylist(), strict=True)
    ):
        profile = {"area": AREAS[area[index]], "style": STYLES[style[index]],
                   "noise": NOISE_LEVELS[noise[index]]}
        profile["view"] = _view(profile["area"], float(view_kind[index]))
        who = suits(profile["style"], profile["area"], profile["noise"], amenities)
        for key, value in profile.items():
            rows[key].append(value)
        rows["suits"].append(who)
        rows["description"].append(
            _describe(name, profile, amenities, who, picks[index].tolist(), rng)
        )
    return pa.table({
        "hotel_id": hotels["hotel_id"], "city": hotels["city"],
        **{key: pa.array(values, pa.list_(pa.string()) if key == "suits" else pa.string())
           for key, values in rows.items()},
    })


def _weighted(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One index per row of ``weights`` (rows × choices), drawn with the row's weights."""
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    draws = rng.random(len(weights))[:, None]
    return np.minimum((draws > cumulative).sum(axis=1), weights.shape[1] - 1)


def _view(area: str, draw: float) -> str:
    """The area's own view for about half the hotels, a garden for some, else none."""
    if draw < 0.5:
        return AREA_VIEW[area]
    return "garden" if draw < 0.65 else "none"


def _describe(name: str, profile: dict[str, str], amenities: list[str], who: list[str],
              picks: list[int], rng: np.random.Generator) -> str:
    """Render one description: opening, noise, view, amenities and who it suits."""
    style = _pick(STYLE_PHRASES[profile["style"]], picks[0])
    opening = _pick(OPENINGS, picks[1]).format(
        name=name, style=style, style_capital=style[0].upper() + style[1:],
        area=_pick(AREA_PHRASES[profile["area"]], picks[2]),
    )
    sentences = [
        _pick(NOISE_PHRASES[profile["noise"]], picks[3]),
        _pick(VIEW_PHRASES[profile["view"]], picks[4]),
        _amenity_sentence([a for a in amenities if a != "wifi"], picks[5], rng),
        *(_pick(SUITS_PHRASES[kind], picks[6]) for kind in who[:2]),
    ]
    body = [sentence for sentence in sentences if sentence]
    order = rng.permutation(len(body))
    return " ".join([opening, *(body[i] for i in order)])


def _amenity_sentence(amenities: list[str], pick: int, rng: np.random.Generator) -> str:
    """One sentence listing the amenities in a shuffled order, each in one of its phrasings."""
    if not amenities:
        return ""
    phrases = [_pick(AMENITY_PHRASES[name], int(rng.integers(0, 1_000)))
               for name in rng.permutation(amenities).tolist()]
    listed = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return _pick(AMENITY_SENTENCES, pick).format(listed)


def _pick(options: tuple[str, ...], draw: int) -> str:
    """One of ``options``, chosen by a drawn integer."""
    return options[draw % len(options)]
