"""Sample data and feature tables built once per test run, shared by every suite."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from groundwork.features.jobs.runner import run_jobs
from groundwork.features.sample_data import generate

# The current hour, so served values are fresh enough for every view's TTL.
AS_OF = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
SCALE = 0.15  # 750 hotels: the largest cities hold more than 25, so top lists get cut


@dataclass(frozen=True, slots=True)
class TravelData:
    """Generated raw data and the feature tables the Spark jobs computed from it.

    Attributes:
        state_dir: Directory holding ``raw/`` and ``feature_tables/``.
        raw_dir: The raw Parquet datasets.
        feature_tables_dir: One Parquet directory per feature view.
        as_of: Instant of the newest snapshot.
        row_counts: Rows written per feature view.
    """

    state_dir: Path
    raw_dir: Path
    feature_tables_dir: Path
    as_of: dt.datetime
    row_counts: dict[str, int]


@pytest.fixture(scope="session")
def travel_data(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> TravelData:
    """Sample data at a small scale and its feature tables (one per view), built once per run."""
    state_dir = tmp_path_factory.mktemp("state")
    raw_dir, feature_tables_dir = state_dir / "raw", state_dir / "feature_tables"
    generate(raw_dir, as_of=AS_OF, scale=SCALE)
    row_counts = run_jobs(
        spark, raw_dir=raw_dir, feature_tables_dir=feature_tables_dir, as_of=AS_OF
    )
    return TravelData(state_dir, raw_dir, feature_tables_dir, AS_OF, row_counts)
