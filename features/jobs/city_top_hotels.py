"""Spark job of the ``city_top_hotels`` view: a city's hotels, and its best hotels first.

A hotel's score is its Bayesian-average rating, which pulls hotels with few
ratings towards the mean of all ratings, plus a small bonus for recent demand:

    score = (PRIOR_WEIGHT * mean_rating + rating_sum) / (PRIOR_WEIGHT + rating_count)
            + POPULARITY_WEIGHT * ln(1 + bookings_90d)

Ties go to the lower ``hotel_id``. Beside the best hotels, every hotel of the
city is listed, in ascending ``hotel_id``.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce

from pyspark.sql import DataFrame, SparkSession, functions

from groundwork.features.jobs.snapshots import (
    hotel_activity,
    rating_known,
    raw_dataset,
    snapshot_instants,
    with_event_ts,
)

TOP_HOTELS = 25
PRIOR_WEIGHT = 20.0
POPULARITY_WEIGHT = 0.05
NEUTRAL_RATING = 3.0  # prior when no rating at all is known
COLUMNS = (
    "city", "top_hotel_ids", "city_hotel_ids", "city_hotel_count", "city_median_price", "event_ts"
)


def build(spark: SparkSession, raw_dir: str, as_of: dt.datetime) -> DataFrame:
    """Compute ``city_top_hotels`` at ``as_of - 7 days`` and at ``as_of``.

    Args:
        spark: The Spark session.
        raw_dir: Directory (or URI) holding the raw ``cities``, ``hotels`` and
            ``bookings`` datasets.
        as_of: Instant of the newest snapshot.

    Returns:
        One row per city and per snapshot; a city without hotels has empty
        lists, a count of 0 and a null median price.
    """
    cities = raw_dataset(spark, raw_dir, "cities")
    hotels = raw_dataset(spark, raw_dir, "hotels")
    bookings = raw_dataset(spark, raw_dir, "bookings")
    snapshots = [
        rankings_at(cities, hotels, bookings, moment) for moment in snapshot_instants(as_of)
    ]
    return reduce(DataFrame.unionByName, snapshots)


def rankings_at(
    cities: DataFrame, hotels: DataFrame, bookings: DataFrame, moment: dt.datetime
) -> DataFrame:
    """Every city's top hotels, all hotels, hotel count and median base price at ``moment``."""
    ranked = functions.sort_array(
        functions.collect_list(
            functions.struct(functions.negative("score").alias("rank"), "hotel_id")
        )
    )
    per_city = (
        hotel_scores(hotels, bookings, moment)
        .groupBy("city")
        .agg(
            functions.slice(ranked, 1, TOP_HOTELS).alias("top"),
            functions.sort_array(functions.collect_list("hotel_id")).alias("all_hotel_ids"),
            functions.count("*").alias("city_hotel_count"),
            functions.round(functions.percentile("base_price", 0.5), 2).alias(
                "city_median_price"
            ),
        )
    )
    no_hotels = functions.array().cast("array<bigint>")
    rankings = cities.join(per_city, "city", "left").select(
        "city",
        functions.coalesce("top.hotel_id", no_hotels).alias("top_hotel_ids"),
        functions.coalesce("all_hotel_ids", no_hotels).alias("city_hotel_ids"),
        functions.coalesce("city_hotel_count", functions.lit(0)).alias("city_hotel_count"),
        functions.col("city_median_price").cast("double").alias("city_median_price"),
    )
    return with_event_ts(rankings, moment).select(*COLUMNS)


def hotel_scores(hotels: DataFrame, bookings: DataFrame, moment: dt.datetime) -> DataFrame:
    """Every hotel's ``city``, ``base_price`` and ranking ``score`` at ``moment``."""
    mean_rating = bookings.where(rating_known(moment)).agg(
        functions.coalesce(functions.avg("rating"), functions.lit(NEUTRAL_RATING)).alias(
            "mean_rating"
        )
    )
    activity = hotel_activity(bookings, moment)
    rating_count = functions.coalesce("rating_count", functions.lit(0))
    rating_sum = functions.coalesce("rating_sum", functions.lit(0.0))
    bayesian_average = (PRIOR_WEIGHT * functions.col("mean_rating") + rating_sum) / (
        PRIOR_WEIGHT + rating_count
    )
    demand = functions.log1p(functions.coalesce("bookings_90d", functions.lit(0)))
    return (
        hotels.join(activity, "hotel_id", "left")
        .crossJoin(functions.broadcast(mean_rating))
        .select(
            "hotel_id",
            "city",
            "base_price",
            (bayesian_average + POPULARITY_WEIGHT * demand).alias("score"),
        )
    )
