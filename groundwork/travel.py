"""The travel planner's endpoints: what an agent may ask, wired from features and functions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import StringConstraints

from groundwork.dag.spec import EndpointSpec, Input, Lookup
from groundwork.functions import destinations, travel
from groundwork.functions.travel_errors import MAX_NIGHTS, StayTooLong

USER_ID = Input("user_id", int, "The traveller's user id.", {"ge": 1})
HOTEL_ID = Input("hotel_id", int, "The hotel's id.", {"ge": 1})

USER_PROFILE = EndpointSpec(
    name="user_profile",
    description="The traveller's preferences and budget: nightly budget in EUR, preferred "
    "stars and amenities, home city and booking history, with how fresh they are.",
    inputs=(USER_ID,),
    lookups=(Lookup("user_profile", "user_id"),),
    outputs=("budget_per_night", "preferred_stars", "home_city", "preferred_amenities",
             "trips_last_year", "avg_rating_given", "last_booking_at"),
)

HOTEL_DETAILS = EndpointSpec(
    name="hotel_details",
    description="Facts about one hotel: name, city, stars, guest rating and review count, "
    "amenities, location and recent popularity.",
    inputs=(HOTEL_ID,),
    lookups=(Lookup("hotel_stats", "hotel_id"),),
    outputs=("hotel_name", "hotel_city", "hotel_stars", "hotel_rating", "hotel_review_count",
             "hotel_amenities", "hotel_latitude", "hotel_longitude", "bookings_90d"),
)

CITY = Input("city", str, "Destination city, e.g. Lisbon; case and accents do not matter.",
             {"min_length": 1, "max_length": 100})
CHECK_IN = Input("check_in", dt.date, "Arrival date (YYYY-MM-DD), today or later.")
NIGHTS = Input("nights", int, f"Number of nights, 1 to {MAX_NIGHTS}.",
               {"ge": 1, "le": MAX_NIGHTS}, refusals={"less_than_equal": StayTooLong})

STAY_LOOKUPS = (
    Lookup("city_directory", "directory_key", ("city_names",), as_of="city_directory_as_of"),
    Lookup("city_top_hotels", "city_name", ("city_hotel_ids",), as_of="city_top_hotels_as_of"),
    Lookup("hotel_stats", "city_hotels",
           ("hotel_name", "hotel_stars", "hotel_rating", "hotel_amenities"),
           as_of="hotel_stats_as_of", freshness="summary"),
    Lookup("hotel_prices", "city_hotels", ("prices_from", "nightly_prices", "rooms_available"),
           as_of="hotel_prices_as_of", freshness="summary"),
)
"""Every hotel of the city, in three rounds: the directory, the city, its hotels."""
STAY_FUNCTIONS = (travel.check_out, travel.stay_dates, destinations.directory_key,
                  destinations.city_name, destinations.city_hotels, travel.stay_options)

HOTEL_SEARCH = EndpointSpec(
    name="hotel_search",
    description=(
        "Search every hotel of a city for a stay: the hotels with a free room and a price for "
        "every night, filtered by the most per night (the stay's total over its nights, EUR), "
        "fewest stars and required amenities, each with its nightly prices, total, price per "
        "night (half up to the cent), stars, rating, rooms left and when its prices and facts "
        "were true. sort=price: cheapest first, then better rated; sort=rating: best rated "
        "first (unrated last), then cheapest; sort=fit (with user_id): within the traveller's "
        "budget first, then the traveller's fit, then cheapest; ties go to the lower hotel_id. "
        "Also says how many hotels match, how many fit the budget, and why the others were "
        "left out. Errors: unknown_city (with the closest names), check_in_in_past, "
        "dates_outside_price_window (with the nights that have prices), stay_too_long (with "
        "the limit), data_missing / data_expired (with the source)."
    ),
    inputs=(
        CITY, CHECK_IN, NIGHTS,
        Input("user_id", int | None, "The traveller, for the budget and sort=fit; optional.",
              {"ge": 1}, default=None),
        Input("max_price_per_night", float | None,
              "Most the stay may cost per night in EUR (its total over the nights).",
              {"gt": 0, "le": 100_000}, default=None),
        Input("min_stars", int | None, "Fewest stars, 1 to 5.", {"ge": 1, "le": 5},
              default=None),
        Input("amenities", list[Annotated[str, StringConstraints(min_length=1, max_length=40)]]
              | None, "Amenities a hotel must all offer, e.g. [\"pool\", \"spa\"].",
              {"max_length": 10}, default=None),
        Input("sort", Literal["price", "rating", "fit"], "Order of the hotels: price, rating "
              "or fit.", default="price"),
        Input("limit", int, "Most hotels returned, 1 to 50.", {"ge": 1, "le": 50}, default=10),
    ),
    lookups=(
        Lookup("user_profile", "user_id",
               ("budget_per_night", "preferred_stars", "preferred_amenities")),
        *STAY_LOOKUPS,
    ),
    functions=(*STAY_FUNCTIONS, travel.budget_total, travel.search, travel.hotels,
               travel.matching, travel.within_budget, travel.excluded, travel.hotels_in_city,
               travel.price_window),
    outputs=("city_name", "check_out", "price_window", "hotels", "matching", "within_budget",
             "budget_per_night", "budget_total", "excluded", "hotels_in_city"),
)

HOTEL_OFFERS = EndpointSpec(
    name="hotel_offers",
    description="The traveller's best offers among every hotel of a city for a stay: those "
    "within the traveller's budget ranked by fit, or, when none fits, the cheapest over it; "
    "total and nightly price in EUR from real daily prices, rooms left, and how many hotels "
    "can host the stay and fit the budget.",
    inputs=(USER_ID, CITY, CHECK_IN, NIGHTS),
    lookups=(
        Lookup("user_profile", "user_id",
               ("budget_per_night", "preferred_stars", "preferred_amenities")),
        *STAY_LOOKUPS,
    ),
    functions=(*STAY_FUNCTIONS, travel.budget_total, travel.ranked_offers,
               travel.hotels_available, travel.hotels_within_budget),
    outputs=("check_out", "budget_per_night", "budget_total", "ranked_offers",
             "hotels_available", "hotels_within_budget"),
)

TRAVEL_ENDPOINTS = (USER_PROFILE, HOTEL_DETAILS, HOTEL_OFFERS, HOTEL_SEARCH)
"""Every endpoint of the travel planner."""
