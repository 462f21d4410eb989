"""Small view specs shared by the dag unit tests."""

from __future__ import annotations

from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec

USERS = ViewSpec("users", "user_id", ValueType.INT,
                 (FeatureSpec("budget", ValueType.FLOAT),
                  FeatureSpec("friends", ValueType.INT_LIST),
                  FeatureSpec("nickname", ValueType.STRING)), ttl_seconds=3600)
CITIES = ViewSpec("cities", "city", ValueType.STRING,
                  (FeatureSpec("population", ValueType.INT),), ttl_seconds=None)
VIEWS = {view.name: view for view in (USERS, CITIES)}
