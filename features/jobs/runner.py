"""Run the feature jobs and write one Parquet feature table per view."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from groundwork.errors import FeatureViewNotFound
from groundwork.features.jobs import (
    city_directory,
    city_top_hotels,
    hotel_prices,
    hotel_stats,
    user_profile,
)
from groundwork.features.spec import table_location

Job = Callable[[SparkSession, str, dt.datetime], DataFrame]

JOBS: dict[str, Job] = {
    "user_profile": user_profile.build,
    "hotel_stats": hotel_stats.build,
    "hotel_prices": hotel_prices.build,
    "city_top_hotels": city_top_hotels.build,
    "city_directory": city_directory.build,
}

SOURCES: dict[str, tuple[str, ...]] = {
    "user_profile": ("users", "bookings"),
    "hotel_stats": ("hotels", "bookings"),
    "hotel_prices": ("prices",),
    "city_top_hotels": ("cities", "hotels", "bookings"),
    "city_directory": ("cities",),
}
"""Raw datasets (``<raw_dir>/<name>.parquet``) each view's job reads."""


def run_jobs(
    spark: SparkSession,
    *,
    raw_dir: Path | str,
    feature_tables_dir: Path | str,
    as_of: dt.datetime,
    views: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Compute feature views and write each to ``feature_tables_dir/<view>`` (overwritten).

    Args:
        spark: The Spark session (local or cluster).
        raw_dir: Directory or URI of the raw datasets.
        feature_tables_dir: Directory or URI the feature tables go to.
        as_of: Instant of the newest snapshot of every view.
        views: Names of the views to compute; every view of ``JOBS`` when ``None``.
        progress: Called with one human-readable line per view written.

    Returns:
        Rows written per view, in the order computed.

    Raises:
        FeatureViewNotFound: when ``views`` names a view that has no job.
    """
    selected = list(JOBS) if views is None else list(views)
    unknown = [view for view in selected if view not in JOBS]
    if unknown:
        raise FeatureViewNotFound(
            f"no feature job for view(s) {', '.join(unknown)}", views=unknown, known=list(JOBS)
        )
    counts: dict[str, int] = {}
    for view in selected:
        started = time.perf_counter()
        target = table_location(feature_tables_dir, view)
        JOBS[view](spark, str(raw_dir), as_of).write.mode("overwrite").parquet(target)
        counts[view] = spark.read.parquet(target).count()
        if progress is not None:
            progress(f"{view}: {counts[view]:,} rows in {time.perf_counter() - started:.1f} s")
    return counts

