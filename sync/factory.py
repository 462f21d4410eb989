"""Open the online store a typed config describes."""

from __future__ import annotations

from pathlib import Path

from sync.base import OnlineStore
from sync.config import SQLiteStoreConfig, StoreConfig
from sync.sqlite import SQLiteStore


def open_store(config: StoreConfig, *, default_path: Path) -> OnlineStore:
    """Build the store for ``config``.

    Args:
        config: The store's typed configuration.
        default_path: File used by the embedded store when the config names none.
    """
    if isinstance(config, SQLiteStoreConfig):
        return SQLiteStore(config.path or default_path)
    raise TypeError(f"unsupported store config {type(config).__name__}")
