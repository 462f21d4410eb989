"""Feature views, functions and endpoints: what the platform serves.

Registering is an upsert by name, so registering the same definitions at every
start-up is safe; the latest definition wins and ``registered_at`` records when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from groundwork.catalog.definitions import EndpointRecord, FunctionRecord
from groundwork.catalog.store.database import Database, flush_or_conflict
from groundwork.catalog.store.models import EndpointRow, FeatureViewRow, FunctionRow
from groundwork.catalog.validation import require_name
from groundwork.errors import EndpointNotFound, FeatureViewNotFound, FunctionNotFound
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec


class DefinitionRepository:
    """The ``feature_views``, ``functions`` and ``endpoints`` tables.

    Args:
        database: The catalog's database.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    def register_feature_view(self, spec: ViewSpec) -> None:
        """Register a feature view, replacing any earlier definition of the same name."""
        require_name(spec.name, "feature view")
        with self._database.transaction() as session:
            row = session.get(FeatureViewRow, spec.name) or FeatureViewRow(name=spec.name)
            row.entity = spec.entity
            row.ttl_seconds = spec.ttl_seconds
            row.spec = view_spec_document(spec)
            row.description = spec.description
            row.registered_at = self._database.now()
            session.add(row)
            flush_or_conflict(session, f"feature view {spec.name!r} was registered concurrently")

    def get_feature_view(self, name: str) -> ViewSpec:
        """Return the feature view called ``name``.

        Raises:
            FeatureViewNotFound: when none is registered.
        """
        with self._database.transaction() as session:
            row = session.get(FeatureViewRow, name)
            if row is None:
                raise FeatureViewNotFound(f"no feature view named {name!r}", feature_view=name)
            return view_spec_from_document(row.spec)

    def list_feature_views(self) -> list[ViewSpec]:
        """Every registered feature view, by name."""
        with self._database.transaction() as session:
            rows = session.scalars(select(FeatureViewRow).order_by(FeatureViewRow.name))
            return [view_spec_from_document(row.spec) for row in rows]

    def register_function(self, function: FunctionRecord) -> None:
        """Register a function, replacing any earlier definition of the same name."""
        require_name(function.name, "function")
        with self._database.transaction() as session:
            row = session.get(FunctionRow, function.name) or FunctionRow(name=function.name)
            row.module = function.module
            row.signature = {"parameters": dict(function.parameters), "returns": function.returns}
            row.description = function.description
            row.registered_at = self._database.now()
            session.add(row)
            flush_or_conflict(session, f"function {function.name!r} was registered concurrently")

    def get_function(self, name: str) -> FunctionRecord:
        """Return the function called ``name``.

        Raises:
            FunctionNotFound: when none is registered.
        """
        with self._database.transaction() as session:
            row = session.get(FunctionRow, name)
            if row is None:
                raise FunctionNotFound(f"no function named {name!r}", function=name)
            return _function_record(row)

    def list_functions(self) -> list[FunctionRecord]:
        """Every registered function, by name."""
        with self._database.transaction() as session:
            rows = session.scalars(select(FunctionRow).order_by(FunctionRow.name))
            return [_function_record(row) for row in rows]

    def register_endpoint(self, endpoint: EndpointRecord) -> None:
        """Register an endpoint, replacing any earlier definition of the same name.

        Raises:
            FeatureViewNotFound: when it reads a feature view that is not registered.
            FunctionNotFound: when it runs a function that is not registered.
        """
        require_name(endpoint.name, "endpoint")
        with self._database.transaction() as session:
            _require_registered(session, endpoint.feature_views, endpoint.functions)
            row = session.get(EndpointRow, endpoint.name) or EndpointRow(name=endpoint.name)
            row.description = endpoint.description
            row.input_schema = dict(endpoint.input_schema)
            row.output_schema = dict(endpoint.output_schema)
            row.feature_views = list(endpoint.feature_views)
            row.functions = list(endpoint.functions)
            row.registered_at = self._database.now()
            session.add(row)
            flush_or_conflict(session, f"endpoint {endpoint.name!r} was registered concurrently")

    def get_endpoint(self, name: str) -> EndpointRecord:
        """Return the endpoint called ``name``.

        Raises:
            EndpointNotFound: when none is registered.
        """
        with self._database.transaction() as session:
            row = session.get(EndpointRow, name)
            if row is None:
                raise EndpointNotFound(f"no endpoint named {name!r}", endpoint=name)
            return _endpoint_record(row)

    def list_endpoints(self) -> list[EndpointRecord]:
        """Every registered endpoint, by name."""
        with self._database.transaction() as session:
            rows = session.scalars(select(EndpointRow).order_by(EndpointRow.name))
            return [_endpoint_record(row) for row in rows]


def _require_registered(
    session: Session, feature_views: Iterable[str], functions: Iterable[str]
) -> None:
    """Check that every named feature view and function is registered.

    Raises:
        FeatureViewNotFound: naming every missing feature view.
        FunctionNotFound: naming every missing function.
    """
    missing_views = _missing(session, FeatureViewRow.name, feature_views)
    if missing_views:
        raise FeatureViewNotFound(
            f"no feature view named {', '.join(missing_views)}", feature_views=missing_views
        )
    missing_functions = _missing(session, FunctionRow.name, functions)
    if missing_functions:
        raise FunctionNotFound(
            f"no function named {', '.join(missing_functions)}", functions=missing_functions
        )


def _missing(
    session: Session, column: InstrumentedAttribute[str], names: Iterable[str]
) -> list[str]:
    """The ``names`` that no row holds in ``column``, sorted."""
    wanted = set(names)
    known = set(session.scalars(select(column).where(column.in_(wanted))))
    return sorted(wanted - known)


def _function_record(row: FunctionRow) -> FunctionRecord:
    """The public view of a function row."""
    return FunctionRecord(
        name=row.name,
        module=row.module,
        parameters=dict(row.signature["parameters"]),
        returns=row.signature["returns"],
        description=row.description,
    )


def _endpoint_record(row: EndpointRow) -> EndpointRecord:
    """The public view of an endpoint row."""
    return EndpointRecord(
        name=row.name,
        description=row.description,
        input_schema=row.input_schema,
        output_schema=row.output_schema,
        feature_views=tuple(row.feature_views),
        functions=tuple(row.functions),
    )


def entity_keys(session: Session) -> set[str]:
    """The entity keys of every registered feature view (``user_id``, ``city`` ...)."""
    return set(session.scalars(select(FeatureViewRow.entity).distinct()))


def view_spec_document(spec: ViewSpec) -> dict[str, Any]:
    """The JSON document a :class:`ViewSpec` is stored as."""
    return {
        "name": spec.name,
        "entity": spec.entity,
        "entity_type": spec.entity_type.value,
        "features": [
            {"name": feature.name, "dtype": feature.dtype.value, "description": feature.description}
            for feature in spec.features
        ],
        "ttl_seconds": spec.ttl_seconds,
        "source_path": spec.source_path,
        "description": spec.description,
    }


def view_spec_from_document(document: Mapping[str, Any]) -> ViewSpec:
    """Rebuild a :class:`ViewSpec` from :func:`view_spec_document`'s output."""
    features = tuple(
        FeatureSpec(
            name=feature["name"],
            dtype=ValueType(feature["dtype"]),
            description=feature.get("description", ""),
        )
        for feature in document["features"]
    )
    return ViewSpec(
        name=document["name"],
        entity=document["entity"],
        entity_type=ValueType(document["entity_type"]),
        features=features,
        ttl_seconds=document["ttl_seconds"],
        source_path=document.get("source_path", ""),
        description=document.get("description", ""),
    )
