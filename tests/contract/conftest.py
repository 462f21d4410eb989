"""Fixtures of the online-store contract suite: one real store per parameter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from features.spec import FeatureSpec, ValueType, ViewSpec
from sync.base import OnlineStore
from sync.sqlite import SQLiteStore

STORES = ["sqlite"]

ALL_TYPES_VIEW = ViewSpec(
    name="all_types",
    entity="entity_id",
    entity_type=ValueType.STRING,
    features=(
        FeatureSpec("an_int", ValueType.INT),
        FeatureSpec("a_float", ValueType.FLOAT),
        FeatureSpec("a_bool", ValueType.BOOL),
        FeatureSpec("a_string", ValueType.STRING),
        FeatureSpec("a_timestamp", ValueType.TIMESTAMP),
        FeatureSpec("a_date", ValueType.DATE),
        FeatureSpec("int_list", ValueType.INT_LIST),
        FeatureSpec("float_list", ValueType.FLOAT_LIST),
        FeatureSpec("string_list", ValueType.STRING_LIST),
    ),
    ttl_seconds=3600,
)


async def _open(kind: str, tmp_path: Path) -> OnlineStore:
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "online.db")
    raise ValueError(kind)


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OnlineStore]:
    """A fresh, real store with the all-types view ensured."""
    opened = await _open(request.param, tmp_path)
    await opened.ensure(ALL_TYPES_VIEW)
    yield opened
    await opened.close()
