"""Turn the Feast feature views into the platform's :class:`~groundwork.features.spec.ViewSpec`.

Only this module and :mod:`groundwork.features.definitions` know Feast; sync, dag and the
catalog work with the plain specs returned here.
"""

from __future__ import annotations

from pathlib import Path

from feast import FeatureView, Field
from feast import ValueType as FeastValueType

from groundwork.errors import DefinitionError
from groundwork.features.definitions import FEATURE_VIEWS, VALUE_TYPE_TAG
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec, table_location

VALUE_TYPES: dict[FeastValueType, ValueType] = {
    FeastValueType.INT32: ValueType.INT,
    FeastValueType.INT64: ValueType.INT,
    FeastValueType.FLOAT: ValueType.FLOAT,
    FeastValueType.DOUBLE: ValueType.FLOAT,
    FeastValueType.BOOL: ValueType.BOOL,
    FeastValueType.STRING: ValueType.STRING,
    FeastValueType.UNIX_TIMESTAMP: ValueType.TIMESTAMP,
    FeastValueType.INT32_LIST: ValueType.INT_LIST,
    FeastValueType.INT64_LIST: ValueType.INT_LIST,
    FeastValueType.FLOAT_LIST: ValueType.FLOAT_LIST,
    FeastValueType.DOUBLE_LIST: ValueType.FLOAT_LIST,
    FeastValueType.STRING_LIST: ValueType.STRING_LIST,
}
"""Platform value type of each Feast value type the platform can serve."""

ENTITY_TYPES = (ValueType.INT, ValueType.STRING)


def view_spec(feature_view: FeatureView, *, feature_tables_dir: Path | str) -> ViewSpec:
    """Describe a Feast feature view as a :class:`ViewSpec`.

    Args:
        feature_view: A Feast ``FeatureView`` with exactly one entity column.
        feature_tables_dir: Directory or URI holding the feature tables; the
            view's table is ``feature_tables_dir/<view name>``.

    Returns:
        The view's spec: entity key and type, features in declaration order,
        TTL in seconds (``None`` when the view never expires), source path and
        description.

    Raises:
        DefinitionError: when the view has not exactly one entity column, the
            entity key is neither an integer nor a string, or a feature has a
            type the platform cannot serve.
    """
    entity = _entity_column(feature_view)
    entity_type = _value_type(feature_view.name, entity)
    if entity_type not in ENTITY_TYPES:
        raise DefinitionError(
            f"feature view {feature_view.name!r}: entity key {entity.name!r} must be an "
            f"integer or a string, not {entity.dtype}",
            view=feature_view.name,
            feature=entity.name,
        )
    ttl = feature_view.ttl
    return ViewSpec(
        name=feature_view.name,
        entity=entity.name,
        entity_type=entity_type,
        features=tuple(
            FeatureSpec(
                name=field.name,
                dtype=_value_type(feature_view.name, field),
                description=field.description,
            )
            for field in feature_view.features
        ),
        ttl_seconds=int(ttl.total_seconds()) if ttl and ttl.total_seconds() > 0 else None,
        source_path=table_location(feature_tables_dir, feature_view.name),
        description=feature_view.description,
    )


def load_view_specs(feature_tables_dir: Path | str) -> dict[str, ViewSpec]:
    """Specs of all feature views of the travel planner, by name, in declaration order.

    Args:
        feature_tables_dir: Directory or URI holding the feature tables.

    Raises:
        DefinitionError: when a view cannot be described (see :func:`view_spec`).
    """
    return {
        feature_view.name: view_spec(feature_view, feature_tables_dir=feature_tables_dir)
        for feature_view in FEATURE_VIEWS
    }


def _entity_column(feature_view: FeatureView) -> Field:
    """The single entity (join key) column of ``feature_view``."""
    columns = feature_view.entity_columns
    if len(columns) != 1:
        raise DefinitionError(
            f"feature view {feature_view.name!r} must have exactly one entity column, "
            f"has {len(columns)}",
            view=feature_view.name,
        )
    return columns[0]


def _value_type(view: str, field: Field) -> ValueType:
    """Platform value type of ``field``: its ``groundwork.value_type`` tag, else its dtype."""
    override = field.tags.get(VALUE_TYPE_TAG)
    if override is not None:
        try:
            return ValueType(override)
        except ValueError:
            raise _unsupported(view, field, f"tag {VALUE_TYPE_TAG}={override!r}") from None
    try:
        feast_type = field.dtype.to_value_type()
    except (AttributeError, ValueError):
        raise _unsupported(view, field, str(field.dtype)) from None
    if feast_type not in VALUE_TYPES:
        raise _unsupported(view, field, str(field.dtype))
    return VALUE_TYPES[feast_type]


def _unsupported(view: str, field: Field, type_name: str) -> DefinitionError:
    """The error for a field whose type the platform cannot serve."""
    return DefinitionError(
        f"feature view {view!r}: feature {field.name!r} has unsupported type {type_name}",
        view=view,
        feature=field.name,
        dtype=type_name,
    )
