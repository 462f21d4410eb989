"""Spark job of the ``city_directory`` view: every destination city's name, in one row.

The raw ``cities`` dataset is the fixed list of destinations, without a
publication time, so both snapshots carry the same list; only ``event_ts``
differs. The one row is keyed :data:`~groundwork.features.spec.CITY_DIRECTORY_KEY`.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce

from pyspark.sql import DataFrame, SparkSession, functions

from groundwork.features.jobs.snapshots import raw_dataset, snapshot_instants, with_event_ts
from groundwork.features.spec import CITY_DIRECTORY_KEY

COLUMNS = ("directory", "city_names", "city_count", "event_ts")


def build(spark: SparkSession, raw_dir: str, as_of: dt.datetime) -> DataFrame:
    """Compute ``city_directory`` at ``as_of - 7 days`` and at ``as_of``.

    Args:
        spark: The Spark session.
        raw_dir: Directory (or URI) holding the raw ``cities`` dataset.
        as_of: Instant of the newest snapshot.

    Returns:
        One row per snapshot, keyed ``directory`` = ``"cities"``: ``city_names``
        (every distinct display name, sorted by code point) and ``city_count``.
    """
    directory = city_names(raw_dataset(spark, raw_dir, "cities"))
    snapshots = [
        with_event_ts(directory, moment).select(*COLUMNS) for moment in snapshot_instants(as_of)
    ]
    return reduce(DataFrame.unionByName, snapshots)


def city_names(cities: DataFrame) -> DataFrame:
    """The sorted, distinct city names of ``cities`` and their count, as one row."""
    # array<string> with nullable elements, as every other list column (collect_set's are not)
    names = functions.sort_array(functions.collect_set("city")).cast("array<string>")
    return (
        cities.where(functions.col("city").isNotNull())
        .agg(names.alias("city_names"))
        .select(
            functions.lit(CITY_DIRECTORY_KEY).alias("directory"),
            "city_names",
            functions.size("city_names").cast("bigint").alias("city_count"),
        )
    )
