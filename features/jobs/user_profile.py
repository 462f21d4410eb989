"""Spark job of the ``user_profile`` view: a traveller's preferences and history."""

from __future__ import annotations

import datetime as dt
from functools import reduce

from pyspark.sql import DataFrame, SparkSession, functions

from groundwork.features.jobs.snapshots import (
    booked_before,
    booked_within,
    instant,
    rating_known,
    raw_dataset,
    snapshot_instants,
    with_event_ts,
)

TRIP_WINDOW = dt.timedelta(days=365)
COLUMNS = (
    "user_id",
    "budget_per_night",
    "preferred_stars",
    "home_city",
    "preferred_amenities",
    "trips_last_year",
    "avg_rating_given",
    "last_booking_at",
    "event_ts",
)


def build(spark: SparkSession, raw_dir: str, as_of: dt.datetime) -> DataFrame:
    """Compute ``user_profile`` at ``as_of - 7 days`` and at ``as_of``.

    Args:
        spark: The Spark session.
        raw_dir: Directory (or URI) holding the raw ``users`` and ``bookings`` datasets.
        as_of: Instant of the newest snapshot.

    Returns:
        One row per user signed up by the snapshot instant and per snapshot.
    """
    users = raw_dataset(spark, raw_dir, "users")
    bookings = raw_dataset(spark, raw_dir, "bookings")
    snapshots = [profile_at(users, bookings, moment) for moment in snapshot_instants(as_of)]
    return reduce(DataFrame.unionByName, snapshots)


def profile_at(users: DataFrame, bookings: DataFrame, moment: dt.datetime) -> DataFrame:
    """Every user's profile from the facts known at ``moment``.

    ``trips_last_year`` counts bookings made in the 365 days before ``moment``;
    ``avg_rating_given`` averages the ratings given by then, to two decimals
    (null when none);
    ``last_booking_at`` is the latest booking made before ``moment``.
    """
    history = (
        bookings.where(booked_before(moment))
        .groupBy("user_id")
        .agg(
            functions.count(functions.when(booked_within(moment, TRIP_WINDOW), 1)).alias(
                "trips_last_year"
            ),
            functions.round(
                functions.avg(functions.when(rating_known(moment), functions.col("rating"))), 2
            ).alias("avg_rating_given"),
            functions.max("booked_at").alias("last_booking_at"),
        )
    )
    profiles = (
        users.where(functions.col("signup_at") < instant(moment))
        .join(history, "user_id", "left")
        .withColumn("trips_last_year", functions.coalesce("trips_last_year", functions.lit(0)))
    )
    return with_event_ts(profiles, moment).select(*COLUMNS)
