"""What the feature jobs share: snapshot instants, raw datasets and booking facts.

Every snapshot is computed only from facts known at its instant: a booking
is known once it is made (``booked_at``), its rating once the stay is over
(check-out day, midnight UTC).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, SparkSession, functions

SNAPSHOT_LAG = dt.timedelta(days=7)
RECENT_BOOKINGS_WINDOW = dt.timedelta(days=90)


def utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC datetime; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def snapshot_instants(
    as_of: dt.datetime, lag: dt.timedelta = SNAPSHOT_LAG
) -> tuple[dt.datetime, dt.datetime]:
    """The two instants a job computes a view at: ``as_of - lag`` and ``as_of``."""
    newest = utc(as_of)
    return newest - lag, newest


def raw_dataset(spark: SparkSession, raw_dir: str, name: str) -> DataFrame:
    """Read the raw Parquet dataset ``name`` (e.g. ``bookings``) from ``raw_dir``."""
    return spark.read.parquet(f"{raw_dir.rstrip('/')}/{name}.parquet")


def instant(moment: dt.datetime) -> Column:
    """A timestamp literal for ``moment``."""
    return functions.lit(utc(moment)).cast("timestamp")


def booked_before(moment: dt.datetime) -> Column:
    """True for bookings made before ``moment``."""
    return functions.col("booked_at") < instant(moment)


def booked_within(moment: dt.datetime, window: dt.timedelta) -> Column:
    """True for bookings made in the ``window`` that ends (excluded) at ``moment``."""
    return booked_before(moment) & (functions.col("booked_at") >= instant(moment - window))


def rating_known(moment: dt.datetime) -> Column:
    """True for bookings whose rating exists and was given (at check-out) by ``moment``."""
    check_out = functions.date_add("check_in", functions.col("nights").cast("int"))
    return functions.col("rating").isNotNull() & (check_out.cast("timestamp") <= instant(moment))


def hotel_activity(bookings: DataFrame, moment: dt.datetime) -> DataFrame:
    """Per hotel, the ratings known and the bookings made in the 90 days before ``moment``.

    Returns:
        Columns ``hotel_id``, ``rating_count``, ``rating_sum``, ``rating_tenths``
        (the sum in tenths, an exact integer: ratings have one decimal),
        ``rating_mean`` (null without ratings) and ``bookings_90d``; only hotels
        with bookings.
    """
    known = rating_known(moment)
    return (
        bookings.where(booked_before(moment))
        .groupBy("hotel_id")
        .agg(
            functions.count(functions.when(known, 1)).alias("rating_count"),
            functions.sum(functions.when(known, functions.col("rating"))).alias("rating_sum"),
            functions.sum(functions.when(known, functions.round(functions.col("rating") * 10)
                                         .cast("long"))).alias("rating_tenths"),
            functions.avg(functions.when(known, functions.col("rating"))).alias("rating_mean"),
            functions.count(
                functions.when(booked_within(moment, RECENT_BOOKINGS_WINDOW), 1)
            ).alias("bookings_90d"),
        )
    )


def mean_in_cents(tenths: str, count: str) -> Column:
    """The mean of ratings given in tenths, rounded half up to the cent, exactly.

    A floating-point mean rounds the wrong way at half a cent (1.625 summed as
    doubles is 1.6249999…), so the rounding is done on integers:
    ``round_half_up(10 · tenths / count) = ⌊(20 · tenths + count) / (2 · count)⌋``.
    Null when ``count`` is 0 or null.
    """
    cents = functions.expr(f"div(20 * {tenths} + {count}, 2 * {count})")
    return functions.when(functions.col(count) > 0, cents / functions.lit(100.0))


def with_event_ts(frame: DataFrame, moment: dt.datetime) -> DataFrame:
    """``frame`` with an ``event_ts`` column set to ``moment``."""
    return frame.withColumn("event_ts", instant(moment))
