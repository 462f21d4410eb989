"""Spark job of the ``hotel_prices`` view: the next 90 nights' prices and free rooms."""

from __future__ import annotations

import datetime as dt
from functools import reduce

from pyspark.sql import DataFrame, SparkSession, functions

from groundwork.features.jobs.snapshots import instant, raw_dataset, snapshot_instants, utc

PRICE_DAYS = 90
SNAPSHOT_LAG = dt.timedelta(days=1)
COLUMNS = ("hotel_id", "prices_from", "nightly_prices", "rooms_available", "event_ts")


def build(spark: SparkSession, raw_dir: str, as_of: dt.datetime) -> DataFrame:
    """Compute ``hotel_prices`` at ``as_of - 1 day`` and at ``as_of``.

    The raw ``prices`` dataset is one price list per hotel covering the 90 days
    from ``as_of``'s date, published at its ``published_at``, so both snapshots
    carry the same lists. A list is true from its publication: a snapshot's
    ``event_ts`` is the earlier of the snapshot instant and the hotel's
    ``published_at`` (the snapshot instant when the dataset has no
    ``published_at``). A hotel whose feed stalled (published before both
    instants) thus has the same row in both snapshots, kept once: it serves as
    expired once its publication is older than the view's TTL.

    Args:
        spark: The Spark session.
        raw_dir: Directory (or URI) holding the raw ``prices`` dataset.
        as_of: Instant of the newest snapshot.

    Returns:
        One row per hotel and per distinct ``event_ts``: ``prices_from`` (date of the first
        entry), ``nightly_prices`` and ``rooms_available`` (90 entries each).
    """
    lists = price_lists(raw_dataset(spark, raw_dir, "prices"), utc(as_of).date())
    snapshots = [
        lists.withColumn("event_ts", functions.least(instant(moment), "published_at"))
        .select(*COLUMNS)
        for moment in snapshot_instants(as_of, SNAPSHOT_LAG)
    ]
    return reduce(DataFrame.unionByName, snapshots).dropDuplicates(["hotel_id", "event_ts"])


def price_lists(prices: DataFrame, first_day: dt.date) -> DataFrame:
    """Per hotel, the prices and free rooms of the 90 nights from ``first_day``, in date order.

    ``published_at`` is the latest publication of the hotel's rows (null without one).
    """
    last_day = first_day + dt.timedelta(days=PRICE_DAYS)
    if "published_at" not in prices.columns:
        prices = prices.withColumn("published_at", functions.lit(None).cast("timestamp"))
    nights = functions.sort_array(
        functions.collect_list(functions.struct("date", "price", "rooms_available"))
    )
    return (
        prices.where(
            (functions.col("date") >= functions.lit(first_day))
            & (functions.col("date") < functions.lit(last_day))
        )
        .groupBy("hotel_id")
        .agg(
            functions.min("date").alias("prices_from"),
            nights.alias("nights"),
            functions.max("published_at").alias("published_at"),
        )
        .select(
            "hotel_id",
            "prices_from",
            functions.col("nights.price").alias("nightly_prices"),
            functions.col("nights.rooms_available").alias("rooms_available"),
            "published_at",
        )
    )
