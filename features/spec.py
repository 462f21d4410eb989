"""Plain, platform-facing description of a feature view.

Feast objects are the source of truth for definitions (``features/definitions.py``).
The rest of the platform (sync, dag, catalog) works with :class:`ViewSpec`, a
small frozen dataclass derived from a Feast ``FeatureView`` by :func:`view_spec`,
so it never depends on Feast internals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from groundwork.errors import DefinitionError

CITY_DIRECTORY_KEY = "cities"
"""The one ``directory`` key of the ``city_directory`` view: the list of every city."""


class ValueType(StrEnum):
    """Value types a feature may hold; every store preserves them exactly."""

    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STRING = "string"
    TIMESTAMP = "timestamp"
    DATE = "date"
    INT_LIST = "list[int]"
    FLOAT_LIST = "list[float]"
    STRING_LIST = "list[string]"

    @property
    def python_type(self) -> Any:
        """The Python type a served value of this kind has (``None`` aside)."""
        return _PYTHON_TYPES[self]


_PYTHON_TYPES: dict[ValueType, Any] = {
    ValueType.INT: int,
    ValueType.FLOAT: float,
    ValueType.BOOL: bool,
    ValueType.STRING: str,
    ValueType.TIMESTAMP: dt.datetime,
    ValueType.DATE: dt.date,
    ValueType.INT_LIST: list[int],
    ValueType.FLOAT_LIST: list[float],
    ValueType.STRING_LIST: list[str],
}


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One feature of a view.

    Attributes:
        name: Feature name, unique across all views of a project.
        dtype: Declared value type.
        description: Human description (becomes part of tool schemas).
    """

    name: str
    dtype: ValueType
    description: str = ""


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """A feature view as the platform sees it.

    Attributes:
        name: View name (also the table/container name suffix in stores).
        entity: Name of the entity key column, e.g. ``user_id``.
        entity_type: Value type of the entity key (``INT`` or ``STRING``).
        features: The view's features, in declaration order.
        ttl_seconds: Time to live of a value after its ``event_ts``; ``None``
            when values never expire.
        source_path: Path of the feature table (Parquet) the Spark job writes.
        description: Human description.
    """

    name: str
    entity: str
    entity_type: ValueType
    features: tuple[FeatureSpec, ...]
    ttl_seconds: int | None
    source_path: str = ""
    description: str = ""

    def feature(self, name: str) -> FeatureSpec:
        """Return the feature called ``name``.

        Raises:
            DefinitionError: when the view has no such feature.
        """
        for feature in self.features:
            if feature.name == name:
                return feature
        raise DefinitionError(f"feature view {self.name!r} has no feature {name!r}",
                              view=self.name, feature=name)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of all features, in declaration order."""
        return tuple(feature.name for feature in self.features)


def table_location(feature_tables: Path | str, view: str) -> str:
    """The table of ``view`` under a directory or a URI such as ``s3a://bucket/tables``."""
    return f"{str(feature_tables).rstrip('/')}/{view}"
