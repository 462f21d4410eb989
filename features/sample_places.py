"""Static vocabulary of the travel sample data: cities, amenities and name parts.

Plain constants only, so :mod:`groundwork.features.sample_data` stays about generation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class City:
    """A destination of the sample data.

    Attributes:
        name: City name, e.g. ``Lisbon``.
        country: Country name.
        latitude: Latitude of the city centre, in degrees.
        longitude: Longitude of the city centre, in degrees.
        popularity: Relative weight for hotels, travellers and trips.
        price_index: Multiplier on hotel prices (1.0 is the European average).
    """

    name: str
    country: str
    latitude: float
    longitude: float
    popularity: float
    price_index: float


CITIES: tuple[City, ...] = (
    City("Lisbon", "Portugal", 38.7223, -9.1393, 9, 0.95),
    City("Porto", "Portugal", 41.1579, -8.6291, 6, 0.85),
    City("Paris", "France", 48.8566, 2.3522, 10, 1.35),
    City("Nice", "France", 43.7102, 7.2620, 4, 1.15),
    City("Lyon", "France", 45.7640, 4.8357, 3, 1.0),
    City("Rome", "Italy", 41.9028, 12.4964, 9, 1.15),
    City("Florence", "Italy", 43.7696, 11.2558, 5, 1.15),
    City("Venice", "Italy", 45.4408, 12.3155, 5, 1.4),
    City("Milan", "Italy", 45.4642, 9.1900, 5, 1.2),
    City("Naples", "Italy", 40.8518, 14.2681, 3, 0.85),
    City("Barcelona", "Spain", 41.3874, 2.1686, 9, 1.1),
    City("Madrid", "Spain", 40.4168, -3.7038, 7, 1.0),
    City("Seville", "Spain", 37.3891, -5.9845, 4, 0.9),
    City("Valencia", "Spain", 39.4699, -0.3763, 3, 0.85),
    City("Berlin", "Germany", 52.5200, 13.4050, 7, 0.95),
    City("Munich", "Germany", 48.1351, 11.5820, 4, 1.15),
    City("Hamburg", "Germany", 53.5511, 9.9937, 3, 1.0),
    City("London", "United Kingdom", 51.5074, -0.1278, 10, 1.5),
    City("Edinburgh", "United Kingdom", 55.9533, -3.1883, 4, 1.15),
    City("Dublin", "Ireland", 53.3498, -6.2603, 5, 1.3),
    City("Amsterdam", "Netherlands", 52.3676, 4.9041, 8, 1.4),
    City("Brussels", "Belgium", 50.8503, 4.3517, 3, 1.0),
    City("Prague", "Czechia", 50.0755, 14.4378, 7, 0.7),
    City("Vienna", "Austria", 48.2082, 16.3738, 6, 1.05),
    City("Budapest", "Hungary", 47.4979, 19.0402, 5, 0.65),
    City("Krakow", "Poland", 50.0647, 19.9450, 3, 0.55),
    City("Warsaw", "Poland", 52.2297, 21.0122, 3, 0.6),
    City("Copenhagen", "Denmark", 55.6761, 12.5683, 4, 1.4),
    City("Stockholm", "Sweden", 59.3293, 18.0686, 3, 1.25),
    City("Oslo", "Norway", 59.9139, 10.7522, 2, 1.4),
    City("Helsinki", "Finland", 60.1699, 24.9384, 2, 1.15),
    City("Zurich", "Switzerland", 47.3769, 8.5417, 3, 1.7),
    City("Athens", "Greece", 37.9838, 23.7275, 5, 0.8),
    City("Istanbul", "Turkey", 41.0082, 28.9784, 6, 0.7),
    City("Dubrovnik", "Croatia", 42.6507, 18.0944, 3, 1.1),
    City("Reykjavik", "Iceland", 64.1466, -21.9426, 2, 1.5),
    City("Marrakech", "Morocco", 31.6295, -7.9811, 3, 0.6),
    City("New York", "United States", 40.7128, -74.0060, 8, 1.6),
    City("Tokyo", "Japan", 35.6762, 139.6503, 6, 1.2),
    City("Singapore", "Singapore", 1.3521, 103.8198, 4, 1.4),
)

AMENITIES: tuple[str, ...] = (
    "wifi",
    "breakfast",
    "pool",
    "spa",
    "gym",
    "parking",
    "pet_friendly",
    "airport_shuttle",
    "restaurant",
    "bar",
    "air_conditioning",
    "family_rooms",
)

# Chance that a hotel of 0 stars would offer an amenity, and how much each star adds.
AMENITY_BASE_CHANCE: tuple[float, ...] = (
    0.9, 0.2, -0.1, -0.2, -0.05, 0.35, 0.25, -0.05, 0.0, 0.05, 0.3, 0.3,
)
AMENITY_CHANCE_PER_STAR: tuple[float, ...] = (
    0.02, 0.12, 0.09, 0.1, 0.12, 0.02, 0.0, 0.06, 0.15, 0.13, 0.1, 0.03,
)
# How often travellers ask for each amenity, relative to one another.
AMENITY_DEMAND: tuple[float, ...] = (10, 7, 4, 3, 3, 3, 2, 1, 2, 2, 5, 2)

# Mean nightly price (EUR) by star rating, before the city's price index.
PRICE_BY_STARS: dict[int, float] = {1: 45.0, 2: 65.0, 3: 95.0, 4: 145.0, 5: 250.0}

NEIGHBOURHOODS: dict[str, tuple[str, ...]] = {
    "Lisbon": (
        "Alfama", "Baixa", "Chiado", "Belém", "Graça", "Bairro Alto", "Príncipe Real",
        "Alcântara", "Estrela", "Avenida", "Mouraria", "Santos",
    ),
    "Porto": ("Ribeira", "Foz", "Bolhão", "Cedofeita", "Boavista", "Aliados"),
    "Paris": ("Marais", "Montmartre", "Saint-Germain", "Opéra", "Bastille", "Louvre"),
    "Rome": ("Trastevere", "Monti", "Navona", "Pantheon", "Prati", "Spagna"),
    "Barcelona": ("Gòtic", "Born", "Gràcia", "Eixample", "Barceloneta", "Sant Antoni"),
    "London": ("Soho", "Kensington", "Covent Garden", "Mayfair", "Shoreditch", "Camden"),
}
GENERIC_PLACES: tuple[str, ...] = (
    "Old Town", "Central", "Riverside", "Park", "Station", "Harbour", "Cathedral",
    "Market", "Castle", "University",
)
NAME_PREFIXES: tuple[str, ...] = ("Hotel", "Hotel", "Casa", "Grand Hotel", "The", "Residence")
NAME_SUFFIXES: tuple[str, ...] = (
    "Garden", "Palace", "Suites", "Inn", "House", "Plaza", "Lodge", "View", "Rooms", "Terrace",
)
