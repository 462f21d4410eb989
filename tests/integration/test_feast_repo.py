"""features/ is a working Feast repository over the Spark feature tables.

The repository and freshly computed feature tables are copied into a temporary
project laid out like the real one (``features/`` beside ``.state/``), so the
relative paths in ``feature_store.yaml`` and ``definitions.py`` resolve as they
do in the project.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from feast import FeatureStore

from groundwork.features import definitions
from groundwork.features.spec import CITY_DIRECTORY_KEY
from tests.support.travel_data import TravelData

pytestmark = [
    pytest.mark.spark,
    # dask, inside Feast's file offline store, warns about its own pandas usage
    pytest.mark.filterwarnings("ignore:Downcasting object dtype arrays:FutureWarning"),
]

FEATURES_DIR = Path(definitions.__file__).parent
FEAST = Path(sys.executable).parent / "feast"
KEYS = {"user_profile": "user_id", "hotel_stats": "hotel_id", "hotel_prices": "hotel_id",
        "city_top_hotels": "city", "city_directory": "directory"}


@pytest.fixture(scope="module")
def repo(travel_data: TravelData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the Feast repository, applied with the ``feast`` CLI from its folder."""
    project = tmp_path_factory.mktemp("project")
    repo = project / "features"
    shutil.copytree(FEATURES_DIR, repo, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(travel_data.feature_tables_dir, project / ".state" / "feature_tables")
    applied = subprocess.run(
        [str(FEAST), "apply"], cwd=repo, capture_output=True, text=True, timeout=300, check=False
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return repo


def test_apply_registers_every_object(repo: Path) -> None:
    store = FeatureStore(repo_path=str(repo))
    assert {view.name for view in store.list_feature_views()} == set(KEYS)
    entities = {entity.name for entity in store.list_entities()}
    assert entities == {"user", "hotel", "city", "directory"}
    service = store.get_feature_service("travel_planner")
    assert [projection.name for projection in service.feature_view_projections] == list(KEYS)
    assert (repo.parent / ".state" / "feast" / "registry.db").is_file()


def changing_entity(
    table: pd.DataFrame, key: str, feature: str, *, besides: tuple[Any, ...] = ()
) -> Any:
    """An entity (not one of ``besides``) whose ``feature`` differs between its snapshots."""
    older, newer = (
        table[table.event_ts == moment].set_index(key)[feature]
        for moment in sorted(table.event_ts.unique())
    )
    for entity, value in older.items():
        if entity not in besides and not same(newer[entity], value):
            return entity
    raise AssertionError(f"no {key} whose {feature} changed between snapshots")


def valid_row(table: pd.DataFrame, key: str, entity: Any, at: pd.Timestamp) -> pd.Series:
    """The feature-table row a point-in-time join must pick: newest ``event_ts`` <= ``at``."""
    rows = table[(table[key] == entity) & (table.event_ts <= at)]
    return rows.sort_values("event_ts").iloc[-1]


def same(served: Any, stored: Any) -> bool:
    """Equality across Feast's and Parquet's representations (arrays, NaN, timestamps)."""
    if isinstance(served, np.ndarray | list) or isinstance(stored, np.ndarray | list):
        return list(served) == list(stored)
    if isinstance(stored, float) and math.isnan(stored):
        return served is None or (isinstance(served, float) and math.isnan(served))
    if isinstance(stored, pd.Timestamp):
        return pd.Timestamp(served) == stored
    return bool(served == stored)


def test_historical_features_are_point_in_time_correct(
    repo: Path, travel_data: TravelData
) -> None:
    tables = {
        view: pq.read_table(travel_data.feature_tables_dir / view).to_pandas() for view in KEYS
    }
    users = [42, changing_entity(tables["user_profile"], "user_id", "trips_last_year")]
    busy_hotel = changing_entity(tables["hotel_stats"], "hotel_id", "bookings_90d")
    hotels = [
        busy_hotel,
        changing_entity(
            tables["hotel_stats"], "hotel_id", "hotel_review_count", besides=(busy_hotel,)
        ),
    ]
    cities = ["Lisbon", changing_entity(tables["city_top_hotels"], "city", "top_hotel_ids")]
    between = pd.Timestamp(travel_data.as_of - dt.timedelta(hours=12))
    after = pd.Timestamp(travel_data.as_of + dt.timedelta(hours=1))
    entity_df = pd.DataFrame(
        [
            {"user_id": user, "hotel_id": hotel, "city": city,
             "directory": CITY_DIRECTORY_KEY, "event_timestamp": moment}
            for moment in (between, after)
            for user, hotel, city in zip(users, hotels, cities, strict=True)
        ]
    )
    store = FeatureStore(repo_path=str(repo))
    served = store.get_historical_features(
        entity_df=entity_df, features=store.get_feature_service("travel_planner")
    ).to_df()
    assert len(served) == len(entity_df)
    features_per_row = sum(len(table.columns) - 2 for table in tables.values())
    checked = 0
    for _, row in served.iterrows():
        for view, key in KEYS.items():
            expected = valid_row(tables[view], key, row[key], row.event_timestamp)
            for name in tables[view].columns.drop([key, "event_ts"]):
                assert same(row[name], expected[name]), (view, row[key], row.event_timestamp, name)
                checked += 1
    assert checked == len(entity_df) * features_per_row == 4 * 25
