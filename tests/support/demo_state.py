"""A small served state without Spark: a few travel rows written into the SQLite store.

The cheapest state a real server can serve: the rows go straight into the
embedded store (no sample data, no Spark job), then ``groundwork register``'s
code publishes the views, functions and endpoints and issues the demo token.
Used by the in-process API tests and by the tests that serve from an installed
package.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from groundwork.catalog.policy import PrincipalKind
from groundwork.catalog.store import Catalog
from groundwork.demo import server_process
from groundwork.features.registry import load_view_specs
from groundwork.features.spec import CITY_DIRECTORY_KEY
from groundwork.net import free_port
from groundwork.settings import Settings
from groundwork.sync.base import OnlineRow, OnlineStore
from groundwork.sync.sqlite import SQLiteStore

HOUR = dt.timedelta(hours=1)
PRICES_FROM = dt.datetime.now(dt.UTC).date()
"""First night of the demo state's prices: today, so no stay a test asks for is in the past."""
STAY_CHECK_IN = PRICES_FROM + dt.timedelta(days=5)
"""A check-in the demo state has prices for (a few days ahead)."""


def prices(base: float) -> list[float]:
    """Ninety nightly prices rising from ``base``."""
    return [round(base + day * 1.5, 2) for day in range(90)]


async def seed_store(settings: Settings, now: dt.datetime, prices_from: dt.date,
                     into: OnlineStore | None = None) -> None:
    """Write two users, Lisbon's three hotels and their prices, and the city directory.

    Args:
        settings: The state (its embedded store is the default target).
        now: When the rows were synced; their event times are a little before.
        prices_from: First night of the hotels' prices.
        into: The store to write to (left open); the state's embedded store when ``None``.
    """
    views = load_view_specs(settings.feature_tables_dir)
    store = SQLiteStore(settings.online_db_path) if into is None else into
    for view in views.values():
        await store.ensure(view)

    def rows(view: str, entries: dict[Any, dict[str, Any]], age: dt.timedelta) -> list[OnlineRow]:
        ttl = dt.timedelta(seconds=views[view].ttl_seconds or 0)
        return [OnlineRow(key, values, now - age, now - age + ttl)
                for key, values in entries.items()]

    await store.write(views["user_profile"], rows("user_profile", {
        42: {"budget_per_night": 150.0, "preferred_stars": 4, "home_city": "Porto",
             "preferred_amenities": ["wifi", "spa"], "trips_last_year": 3,
             "avg_rating_given": 4.2, "last_booking_at": now - dt.timedelta(days=40)},
        43: {"budget_per_night": 80.0, "preferred_stars": 3, "home_city": "Rome",
             "preferred_amenities": [], "trips_last_year": 0, "avg_rating_given": None,
             "last_booking_at": None},
    }, 2 * HOUR), now)
    await store.write(views["city_top_hotels"], rows("city_top_hotels", {
        "Lisbon": {"top_hotel_ids": [1, 2, 3], "city_hotel_ids": [1, 2, 3],
                   "city_hotel_count": 3, "city_median_price": 120.0},
    }, HOUR), now)
    await store.write(views["city_directory"], rows("city_directory", {
        CITY_DIRECTORY_KEY: {"city_names": ["Lisbon"], "city_count": 1},
    }, HOUR), now)
    hotel = {"hotel_city": "Lisbon", "hotel_review_count": 10, "hotel_latitude": 38.7,
             "hotel_longitude": -9.1, "bookings_90d": 5}
    await store.write(views["hotel_stats"], rows("hotel_stats", {
        1: {**hotel, "hotel_name": "Alfama Garden", "hotel_stars": 4, "hotel_rating": 4.6,
            "hotel_amenities": ["wifi", "spa"]},
        2: {**hotel, "hotel_name": "Baixa Palace", "hotel_stars": 5, "hotel_rating": 4.8,
            "hotel_amenities": ["wifi"]},
        3: {**hotel, "hotel_name": "Belem Inn", "hotel_stars": 3, "hotel_rating": 3.9,
            "hotel_amenities": []},
    }, HOUR), now)
    await store.write(views["hotel_prices"], rows("hotel_prices", {
        1: {"prices_from": prices_from, "nightly_prices": prices(100.0),
            "rooms_available": [3] * 90},
        2: {"prices_from": prices_from, "nightly_prices": prices(300.0),
            "rooms_available": [1] * 90},
        3: {"prices_from": prices_from, "nightly_prices": prices(60.0),
            "rooms_available": [0] * 90},
    }, HOUR / 2), now)
    if into is None:
        await store.close()


@dataclass(frozen=True, slots=True)
class DemoState:
    """A registered state directory ready to serve.

    Attributes:
        state_dir: The directory (``GROUNDWORK_STATE_DIR``).
        token: Bearer token of the demo agent (EXECUTE on every endpoint).
        ungranted_token: Bearer token of a principal holding no grant.
    """

    state_dir: Path
    token: str
    ungranted_token: str


@pytest.fixture(scope="session")
def demo_state(tmp_path_factory: pytest.TempPathFactory) -> DemoState:
    """Seed the embedded store and register everything, once per run (no Spark session)."""
    from groundwork import pipeline  # imports pyspark's modules, starts no Spark

    settings = Settings(state_dir=tmp_path_factory.mktemp("demo-state"))
    asyncio.run(seed_store(settings, dt.datetime.now(dt.UTC).replace(microsecond=0),
                           PRICES_FROM))
    registration = pipeline.register(settings)
    assert registration.token_file is not None
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_principal("ungranted", PrincipalKind.AGENT)
    ungranted = catalog.issue_token("ungranted").token
    catalog.dispose()
    return DemoState(settings.state_dir.resolve(), registration.token_file.read_text().strip(),
                     ungranted)


@pytest.fixture(scope="session")
def demo_server(demo_state: DemoState) -> Iterator[str]:
    """``groundwork serve`` (this checkout) over the demo state in a child process; its URL."""
    with server_process(Settings(state_dir=demo_state.state_dir), free_port()) as url:
        yield url
