"""Feature views that make ``user_id``, ``hotel_id`` and ``city`` known entity keys.

A catalog refuses a token or grant bound to a key that no registered feature
view has as its entity; tests that bind to these keys register them first.
"""

from __future__ import annotations

from groundwork.catalog.store import Catalog
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec

ENTITY_VIEWS = (
    ViewSpec("user_profile", "user_id", ValueType.INT,
             (FeatureSpec("budget_per_night", ValueType.FLOAT),), ttl_seconds=None),
    ViewSpec("hotel_stats", "hotel_id", ValueType.INT,
             (FeatureSpec("hotel_stars", ValueType.INT),), ttl_seconds=None),
    ViewSpec("city_top_hotels", "city", ValueType.STRING,
             (FeatureSpec("top_hotel_ids", ValueType.INT_LIST),), ttl_seconds=None),
)


def register_entity_views(catalog: Catalog) -> None:
    """Register the three views, so their entity keys may be bound."""
    for view in ENTITY_VIEWS:
        catalog.register_feature_view(view)
