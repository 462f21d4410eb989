"""A real server process over synced sample data, started once for the e2e suite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pyspark.sql import SparkSession

from groundwork import pipeline
from groundwork.demo import server_process
from groundwork.net import free_port
from groundwork.settings import Settings
from tests.support.travel_data import TravelData


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A running ``groundwork serve`` process.

    Attributes:
        url: Base URL on 127.0.0.1.
        token: Bearer token of the demo agent (EXECUTE on every endpoint).
        settings: Settings of the served state directory.
    """

    url: str
    token: str
    settings: Settings


@pytest.fixture(scope="session")
def live_server(travel_data: TravelData, spark: SparkSession) -> Iterator[LiveServer]:
    """Sync the feature tables, register everything, and serve them from a child process."""
    settings = Settings(state_dir=travel_data.state_dir)
    reports = pipeline.sync_views(settings, spark=spark)
    assert all(report.ok and report.rows_written for report in reports)
    registration = pipeline.register(settings)
    assert registration.token_file is not None
    token = registration.token_file.read_text().strip()
    with server_process(settings, free_port()) as url:
        yield LiveServer(url, token, settings)
