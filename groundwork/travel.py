"""The travel planner's endpoints: what an agent may ask, wired from features and functions."""

from __future__ import annotations

import datetime as dt

from groundwork.dag.spec import EndpointSpec, Input, Lookup
from groundwork.functions.travel import TRAVEL_FUNCTIONS

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

HOTEL_OFFERS = EndpointSpec(
    name="hotel_offers",
    description="Bookable hotels in a city for a stay, ranked for the traveller: total and "
    "nightly price in EUR from real daily prices, rooms left, and whether each fits the "
    "traveller's budget.",
    inputs=(
        USER_ID,
        Input("city", str, "Destination city, e.g. Lisbon.", {"min_length": 1}),
        Input("check_in", dt.date, "Arrival date (YYYY-MM-DD)."),
        Input("nights", int, "Number of nights.", {"ge": 1, "le": 30}),
    ),
    lookups=(
        Lookup("user_profile", "user_id",
               ("budget_per_night", "preferred_stars", "preferred_amenities")),
        Lookup("city_top_hotels", "city", ("top_hotel_ids",)),
        Lookup("hotel_stats", "top_hotel_ids",
               ("hotel_name", "hotel_stars", "hotel_rating", "hotel_amenities")),
        Lookup("hotel_prices", "top_hotel_ids",
               ("prices_from", "nightly_prices", "rooms_available")),
    ),
    functions=TRAVEL_FUNCTIONS,
    outputs=("check_out", "budget_per_night", "budget_total", "ranked_offers"),
)

TRAVEL_ENDPOINTS = (USER_PROFILE, HOTEL_DETAILS, HOTEL_OFFERS)
"""Every endpoint of the travel planner."""
