"""Fixtures shared by every test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyspark.sql import SparkSession

from groundwork.features.spark import spark_session

pytest_plugins = [
    "tests.support.travel_data",
    "tests.support.demo_state",
    "tests.support.redis_server",
    "tests.support.dynamodb_server",
    "tests.support.cosmos_server",
    "tests.support.postgres_server",
]


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local Spark session (two cores) for the whole test run; needs Java 17+."""
    session = spark_session("local[2]", "groundwork-tests")
    yield session
    session.stop()
