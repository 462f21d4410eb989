"""Static vocabulary of the hotel descriptions: attribute values and their phrasings.

Plain constants only, so :mod:`groundwork.features.sample_descriptions` stays about
generation. Each attribute value has several phrasings, many without the word a
traveller would type ("quiet" is also "tranquil", "you will sleep soundly"), and a few
phrasings of one value use the word of another ("not the place for a quiet night"), so
that keyword overlap alone does not find the right hotels.
"""

from __future__ import annotations

AREAS: tuple[str, ...] = ("old_town", "beach", "business_district", "riverside", "park")
STYLES: tuple[str, ...] = ("boutique", "design", "family", "grand", "simple")
NOISE_LEVELS: tuple[str, ...] = ("quiet", "moderate", "lively")
VIEWS: tuple[str, ...] = ("sea", "river", "rooftops", "skyline", "garden", "none")
SUITS: tuple[str, ...] = ("families", "couples", "business", "nightlife")

COASTAL_CITIES: frozenset[str] = frozenset({
    "Lisbon", "Porto", "Nice", "Naples", "Barcelona", "Valencia", "Venice", "Athens",
    "Dubrovnik", "Istanbul", "Copenhagen", "Helsinki", "Singapore",
})
"""Cities with a beach; no hotel elsewhere is by the beach or has a sea view."""

# Weights of the style by star rating (index 0 is one star), in the order of STYLES.
STYLE_WEIGHTS_BY_STARS: tuple[tuple[float, ...], ...] = (
    (0.0, 0.0, 0.3, 0.0, 0.7),
    (0.1, 0.0, 0.35, 0.0, 0.55),
    (0.3, 0.25, 0.3, 0.0, 0.15),
    (0.35, 0.3, 0.2, 0.15, 0.0),
    (0.3, 0.25, 0.05, 0.4, 0.0),
)
# Weights of the noise level by area, in the order of NOISE_LEVELS.
NOISE_WEIGHTS_BY_AREA: dict[str, tuple[float, ...]] = {
    "old_town": (0.3, 0.3, 0.4),
    "beach": (0.4, 0.35, 0.25),
    "business_district": (0.35, 0.45, 0.2),
    "riverside": (0.45, 0.35, 0.2),
    "park": (0.65, 0.3, 0.05),
}
# The view each area can offer besides a garden or none.
AREA_VIEW: dict[str, str] = {
    "old_town": "rooftops", "beach": "sea", "business_district": "skyline",
    "riverside": "river", "park": "garden",
}

STYLE_PHRASES: dict[str, tuple[str, ...]] = {
    "boutique": (
        "a boutique hotel", "an intimate hotel with only a handful of rooms",
        "a small, characterful independent hotel", "a charming little hideaway",
        "a cosy, individually decorated small hotel",
    ),
    "design": (
        "a design hotel", "a sleek, contemporary hotel", "a hotel of bold modern interiors",
        "a stylish minimalist hotel", "an architect-designed hotel of glass and concrete",
    ),
    "family": (
        "a family hotel", "a relaxed, kid-friendly hotel", "a hotel made for parents and children",
        "an easy-going hotel where little ones are welcome", "a cheerful hotel with a playroom",
    ),
    "grand": (
        "a grand hotel", "a stately landmark hotel with marble halls", "a palatial classic hotel",
        "an elegant belle-époque palace", "a luxurious historic hotel with chandeliers",
    ),
    "simple": (
        "a simple, good-value hotel", "a no-frills budget hotel", "an affordable, basic hotel",
        "a modest hotel that keeps prices low", "a plain, inexpensive place to sleep",
    ),
}
AREA_PHRASES: dict[str, tuple[str, ...]] = {
    "old_town": (
        "in the old town", "among the cobbled lanes of the historic centre",
        "in the medieval quarter", "a short walk from the ancient city walls and churches",
        "in the heart of the old city",
    ),
    "beach": (
        "by the beach", "steps from the sand", "on the seafront", "right on the coast",
        "across the promenade from the shore",
    ),
    "business_district": (
        "in the business district", "among the office towers of the financial district",
        "near the convention centre and corporate headquarters",
        "in the modern commercial quarter", "close to the trade fair grounds",
    ),
    "riverside": (
        "on the riverside", "along the river banks", "on the quays", "beside the river",
        "by the embankment, where barges drift past",
    ),
    "park": (
        "next to a large park", "by the city's public gardens", "facing leafy parkland",
        "on the edge of the botanical gardens", "beside a green, wooded park",
    ),
}
NOISE_PHRASES: dict[str, tuple[str, ...]] = {
    "quiet": (
        "Rooms are quiet.", "It is a peaceful retreat, calm even at night.",
        "Guests praise how tranquil it is.", "You will sleep soundly, far from traffic.",
        "A hushed, restful atmosphere reigns.",
    ),
    "moderate": (
        "The street sees some daytime bustle.", "There is a little traffic by day.",
        "Expect the ordinary sounds of the city.", "", "",
    ),
    "lively": (
        "The area is lively, with bars open late.",
        "Expect noise at night: the nightlife is right outside.",
        "It is not the place for a quiet night; the neighbourhood buzzes.",
        "A vibrant, buzzing spot.", "Music drifts up from the street until late.",
    ),
}
VIEW_PHRASES: dict[str, tuple[str, ...]] = {
    "sea": (
        "Many rooms have sea views.", "Balconies look out over the ocean.",
        "Wake up to the sight of the waves.", "The terrace faces the open water.",
    ),
    "river": (
        "Rooms overlook the river.", "Windows look across the water to the far bank.",
        "The terrace watches the boats go by.", "River views from most rooms.",
    ),
    "rooftops": (
        "Windows open onto terracotta rooftops and bell towers.",
        "Upper rooms look over the old town.", "The roof terrace faces domes and spires.",
    ),
    "skyline": (
        "Upper floors look over the city skyline.", "Panoramic views of the towers at night.",
        "Floor-to-ceiling windows frame the skyline.",
    ),
    "garden": (
        "Rooms face a quiet garden.", "Windows open onto a leafy courtyard.",
        "Breakfast is served looking onto the lawn and trees.",
    ),
    "none": ("",),
}
AMENITY_PHRASES: dict[str, tuple[str, ...]] = {
    "wifi": ("wifi", "free internet", "fast wireless internet"),
    "breakfast": ("breakfast", "a morning buffet", "a homemade breakfast"),
    "pool": ("a pool", "an outdoor swimming pool", "a heated pool for a swim",
             "a rooftop plunge pool"),
    "spa": ("a spa", "a wellness centre with sauna and massages",
            "treatment rooms and a steam bath", "a hammam"),
    "gym": ("a gym", "a fitness room", "a workout studio"),
    "parking": ("parking", "a garage for guests' cars"),
    "pet_friendly": ("a welcome for pets", "room for your dog"),
    "airport_shuttle": ("an airport shuttle", "transfers to the airport"),
    "restaurant": ("a restaurant", "an on-site dining room", "a kitchen serving local dishes"),
    "bar": ("a bar", "a cocktail lounge"),
    "air_conditioning": ("air conditioning", "cooled rooms"),
    "family_rooms": ("family rooms", "connecting rooms for families", "cots and bunk beds"),
}
AMENITY_SENTENCES: tuple[str, ...] = (
    "Guests enjoy {}.", "On site: {}.", "There is {}.", "You will find {}.", "It offers {}.",
)
SUITS_PHRASES: dict[str, tuple[str, ...]] = {
    "families": ("Ideal for families.", "Parents travelling with kids will feel at home.",
                 "Children love it."),
    "couples": ("Perfect for couples.", "A romantic choice for two.",
                "Made for a getaway à deux."),
    "business": ("Convenient for business travellers.", "Well placed for work trips and meetings.",
                 "A practical base for a conference."),
    "nightlife": ("Suits young travellers who want to go out.", "Great for party-goers.",
                  "Night owls will be in their element."),
}
OPENINGS: tuple[str, ...] = ("{name} is {style} {area}.", "{style_capital}, {area}.",
                             "Set {area}, {name} is {style}.", "{name}: {style} {area}.")
