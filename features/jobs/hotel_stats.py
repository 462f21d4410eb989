"""Spark job of the ``hotel_stats`` view: a hotel's description, rating and demand."""

from __future__ import annotations

import datetime as dt
from functools import reduce

from pyspark.sql import DataFrame, SparkSession, functions

from groundwork.features.jobs.snapshots import (
    hotel_activity,
    mean_in_cents,
    raw_dataset,
    snapshot_instants,
    with_event_ts,
)

COLUMNS = (
    "hotel_id",
    "hotel_name",
    "hotel_city",
    "hotel_stars",
    "hotel_rating",
    "hotel_review_count",
    "hotel_amenities",
    "hotel_latitude",
    "hotel_longitude",
    "bookings_90d",
    "event_ts",
)


def build(spark: SparkSession, raw_dir: str, as_of: dt.datetime) -> DataFrame:
    """Compute ``hotel_stats`` at ``as_of - 7 days`` and at ``as_of``.

    Args:
        spark: The Spark session.
        raw_dir: Directory (or URI) holding the raw ``hotels`` and ``bookings`` datasets.
        as_of: Instant of the newest snapshot.

    Returns:
        One row per hotel and per snapshot.
    """
    hotels = raw_dataset(spark, raw_dir, "hotels")
    bookings = raw_dataset(spark, raw_dir, "bookings")
    snapshots = [stats_at(hotels, bookings, moment) for moment in snapshot_instants(as_of)]
    return reduce(DataFrame.unionByName, snapshots)


def stats_at(hotels: DataFrame, bookings: DataFrame, moment: dt.datetime) -> DataFrame:
    """Every hotel's stats from the facts known at ``moment``.

    ``hotel_rating`` is the mean of the ratings known by then, rounded half up
    to two decimals exactly (null when none),
    ``hotel_review_count`` their number, ``bookings_90d`` the bookings made in
    the 90 days before ``moment``.
    """
    stats = hotels.join(hotel_activity(bookings, moment), "hotel_id", "left").select(
        "hotel_id",
        functions.col("name").alias("hotel_name"),
        functions.col("city").alias("hotel_city"),
        functions.col("stars").alias("hotel_stars"),
        mean_in_cents("rating_tenths", "rating_count").alias("hotel_rating"),
        functions.coalesce("rating_count", functions.lit(0)).alias("hotel_review_count"),
        functions.col("amenities").alias("hotel_amenities"),
        functions.col("latitude").alias("hotel_latitude"),
        functions.col("longitude").alias("hotel_longitude"),
        functions.coalesce("bookings_90d", functions.lit(0)).alias("bookings_90d"),
    )
    return with_event_ts(stats, moment).select(*COLUMNS)
