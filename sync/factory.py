"""Open the online store a typed config describes (backends import lazily)."""

from __future__ import annotations

from pathlib import Path

from groundwork.sync.base import OnlineStore
from groundwork.sync.config import (
    CosmosStoreConfig,
    DynamoDBStoreConfig,
    RedisStoreConfig,
    SQLiteStoreConfig,
    StoreConfig,
)


def open_store(config: StoreConfig, *, default_path: Path) -> OnlineStore:
    """Build the store for ``config``.

    Args:
        config: The store's typed configuration.
        default_path: File used by the embedded store when the config names none.
    """
    if isinstance(config, SQLiteStoreConfig):
        from groundwork.sync.sqlite import SQLiteStore

        return SQLiteStore(config.path or default_path,
                           busy_timeout_seconds=config.busy_timeout_seconds)
    if isinstance(config, RedisStoreConfig):
        from groundwork.sync.redis import RedisStore

        return RedisStore(config)
    if isinstance(config, DynamoDBStoreConfig):
        from groundwork.sync.dynamodb import DynamoDBStore

        return DynamoDBStore(config)
    if isinstance(config, CosmosStoreConfig):
        from groundwork.sync.cosmos import CosmosStore

        return CosmosStore(config)
    raise TypeError(f"unsupported store config {type(config).__name__}")
