"""Spark job of the ``hotel_prices`` view: the next 90 nights' prices and free rooms."""

from __future__ import annotations

import datetime as dt
from functools import reduce

from pyspark.sql import DataFrame, SparkSession, functions

from groundwork.features.jobs.snapshots import raw_dataset, snapshot_instants, utc, with_event_ts

PRICE_DAYS = 90
SNAPSHOT_LAG = dt.timedelta(days=1)
COLUMNS = ("hotel_id", "prices_from", "nightly_prices", "rooms_available", "event_ts")


def build(spark: SparkSession, raw_dir: str, as_of: dt.datetime) -> DataFrame:
    """Compute ``hotel_prices`` at ``as_of - 1 day`` and at ``as_of``.

    The raw ``prices`` dataset is one published price list covering the 90
    days from ``as_of``'s date, without a publication time, so both snapshots
    carry the same lists; only ``event_ts`` differs.

    Args:
        spark: The Spark session.
        raw_dir: Directory (or URI) holding the raw ``prices`` dataset.
        as_of: Instant of the newest snapshot.

    Returns:
        One row per hotel and per snapshot: ``prices_from`` (date of the first
        entry), ``nightly_prices`` and ``rooms_available`` (90 entries each).
    """
    lists = price_lists(raw_dataset(spark, raw_dir, "prices"), utc(as_of).date())
    snapshots = [
        with_event_ts(lists, moment).select(*COLUMNS)
        for moment in snapshot_instants(as_of, SNAPSHOT_LAG)
    ]
    return reduce(DataFrame.unionByName, snapshots)


def price_lists(prices: DataFrame, first_day: dt.date) -> DataFrame:
    """Per hotel, the prices and free rooms of the 90 nights from ``first_day``, in date order."""
    last_day = first_day + dt.timedelta(days=PRICE_DAYS)
    nights = functions.sort_array(
        functions.collect_list(functions.struct("date", "price", "rooms_available"))
    )
    return (
        prices.where(
            (functions.col("date") >= functions.lit(first_day))
            & (functions.col("date") < functions.lit(last_day))
        )
        .groupBy("hotel_id")
        .agg(functions.min("date").alias("prices_from"), nights.alias("nights"))
        .select(
            "hotel_id",
            "prices_from",
            functions.col("nights.price").alias("nightly_prices"),
            functions.col("nights.rooms_available").alias("rooms_available"),
        )
    )
