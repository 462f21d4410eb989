"""The feature services of the travel planner, as plain names (no Feast import).

``features/definitions.py`` builds the Feast ``FeatureService`` objects from
this table, and the server serves the same services to Feast clients without
importing Feast (whose import alone takes seconds).
"""

from __future__ import annotations

FEATURE_SERVICES: dict[str, tuple[str, ...]] = {
    "travel_planner": (
        "user_profile", "hotel_stats", "hotel_prices", "city_top_hotels", "city_directory"),
}
"""Feature service name to the views it serves whole, in order."""
