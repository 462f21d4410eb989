"""Fixtures of the online-store contract suite: one real store per parameter.

Each backend's server is started once per test session by its own plugin in
``tests/support/`` (``<kind>_config`` fixtures); every test gets a view with a
unique name, so tests sharing a server never see each other's records.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.base import OnlineStore
from groundwork.sync.config import SQLiteStoreConfig, StoreConfig
from groundwork.sync.factory import open_store

STORES = ["sqlite", "redis", "dynamodb", "cosmos"]

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


@dataclass(frozen=True, slots=True)
class Contract:
    """A store under test and the view (uniquely named) its test writes to.

    Attributes:
        store: The real store.
        view: The all-types view, renamed for this test.
        kind: Store type.
    """

    store: OnlineStore
    view: ViewSpec
    kind: str


@pytest.fixture
def sqlite_config(tmp_path: Path) -> SQLiteStoreConfig:
    """The embedded store in a fresh file."""
    return SQLiteStoreConfig(path=tmp_path / "online.db")


@pytest.fixture(params=STORES)
async def contract(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Contract]:
    """A real store of each kind with a fresh all-types view ensured."""
    config: StoreConfig = request.getfixturevalue(f"{request.param}_config")
    if "read_timeout_seconds" in type(config).model_fields:
        # The contract is about what reads return, not how fast: the longest bound keeps
        # a loaded machine's slow local server from failing a read of a thousand keys.
        config = config.model_copy(update={"read_timeout_seconds": 60})
    store = open_store(config, default_path=tmp_path / "online.db")
    view = replace(ALL_TYPES_VIEW, name=f"all_types_{uuid.uuid4().hex[:10]}")
    await store.ensure(view)
    yield Contract(store, view, request.param)
    await store.close()
