"""The state the benchmark serves from, and the request bodies it sends.

A state directory is reused when it already holds feature tables, the online
store, the catalog and the demo token; otherwise it is built with the same
pipeline steps as ``groundwork demo`` (sample data, Spark, sync, register).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import orjson
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from groundwork import pipeline
from groundwork.catalog.store import Catalog
from groundwork.errors import GroundworkError
from groundwork.features.definitions import FEATURE_VIEWS
from groundwork.progress import sync_progress
from groundwork.settings import Settings
from groundwork.sync.config import SQLiteStoreConfig

CITIES = ("Lisbon", "Paris", "Rome", "Barcelona", "Berlin")
"""Destinations of the ``hotel_offers`` requests (those the data holds)."""

PRICE_DAYS = 90
MAX_NIGHTS = 7
BODIES_PER_TARGET = 5_000


def missing_data(settings: Settings) -> list[str]:
    """The served data the state directory lacks (feature tables, online store)."""
    missing = [
        f"feature table {view.name}" for view in FEATURE_VIEWS
        if not any((settings.feature_tables_dir / view.name).glob("*.parquet"))
    ]
    if isinstance(settings.store, SQLiteStoreConfig) and not settings.online_db_path.exists():
        missing.append("online store")
    return missing


def build_state(console: Console, settings: Settings) -> None:
    """Generate, compute, sync and register, as ``groundwork demo`` does."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    as_of = pipeline.default_as_of()
    with console.status("generating sample data") as status:
        pipeline.generate_data(settings, as_of, lambda text: status.update(text))
    with pipeline.spark_for(settings) as spark:
        with console.status(f"running Spark jobs on {settings.spark_master}") as status:
            pipeline.compute_features(settings, as_of, spark=spark,
                                      progress=lambda text: status.update(text))
        with sync_progress(console) as update:
            pipeline.sync_views(settings, spark=spark, progress=update)
    pipeline.register(settings)


def demo_token(settings: Settings) -> str:
    """The demo agent's token, registering views, endpoints and a new token when needed.

    Raises:
        SystemExit: when the catalog exists but cannot be opened or migrated.
    """
    path = settings.demo_token_path
    token = path.read_text().strip() if path.exists() else ""
    catalog = Catalog(settings.resolved_catalog_url)
    try:
        catalog.create_schema()  # as the server does at start (migrates an older catalog)
        catalog.verify_token(token)
    except GroundworkError:
        pipeline.register(settings)
        token = path.read_text().strip()
    except SQLAlchemyError as error:
        raise SystemExit(f"the catalog at {settings.resolved_catalog_url} cannot be opened or "
                         f"migrated ({type(error).__name__}: {str(error).splitlines()[0]}); "
                         "move it away to have the benchmark register a fresh one") from None
    finally:
        catalog.dispose()
    return token


def prepare(console: Console, settings: Settings) -> str:
    """Make the state directory servable; return the bearer token to call it with."""
    missing = missing_data(settings)
    if missing:
        console.print(f"[yellow]{settings.state_dir} lacks {', '.join(missing)}: building it "
                      f"at scale {settings.sample_scale} (Spark, a few minutes)")
        build_state(console, settings)
    else:
        console.print(f"reusing the data in {settings.state_dir}")
    return demo_token(settings)


def _distinct(settings: Settings, view: str, column: str) -> list[object]:
    table = pq.read_table(settings.feature_tables_dir / view, columns=[column])
    return sorted(pc.unique(table.column(column)).to_pylist())


def request_bodies(settings: Settings, seed: int) -> dict[str, list[bytes]]:
    """JSON bodies per endpoint: random users, a few cities, stays inside the price window."""
    chooser = random.Random(seed)
    users = _distinct(settings, "user_profile", "user_id")
    known = set(_distinct(settings, "city_top_hotels", "city"))
    cities = [city for city in CITIES if city in known] or ["Lisbon"]
    prices_from = min(date for date in _distinct(settings, "hotel_prices", "prices_from")
                      if isinstance(date, dt.date))
    profile = [orjson.dumps({"user_id": chooser.choice(users)}) for _ in range(BODIES_PER_TARGET)]
    offers = []
    for _ in range(BODIES_PER_TARGET):
        nights = chooser.randint(1, MAX_NIGHTS)
        check_in = prices_from + dt.timedelta(days=chooser.randint(0, PRICE_DAYS - nights))
        offers.append(orjson.dumps({"user_id": chooser.choice(users),
                                    "city": chooser.choice(cities),
                                    "check_in": check_in.isoformat(), "nights": nights}))
    return {"user_profile": profile, "hotel_offers": offers}


def write_bodies(directory: Path, name: str, bodies: list[bytes]) -> Path:
    """One body per line, the format ``load.lua`` reads."""
    path = directory / f"{name}.jsonl"
    path.write_bytes(b"\n".join(bodies) + b"\n")
    return path
