"""Plain records the catalog takes and returns, independent of the ORM.

Callers never see SQLAlchemy rows: every public method of
:class:`groundwork.catalog.store.Catalog` speaks in these frozen dataclasses (and in
:class:`groundwork.features.spec.ViewSpec`, :class:`groundwork.catalog.policy.Principal` and
:class:`groundwork.catalog.policy.Grant`).
"""

from __future__ import annotations

import datetime as dt
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from groundwork.catalog.policy import PrincipalKind
from groundwork.errors import DefinitionError
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec


@dataclass(frozen=True, slots=True)
class FunctionRecord:
    """A registered function: where it lives and its typed signature.

    Attributes:
        name: Function name, which is also its node name in endpoint DAGs.
        module: Dotted path of the module that defines it.
        parameters: Parameter name to type string, in declaration order.
        returns: Type string of the return value.
        description: The docstring, which becomes the tool description.
    """

    name: str
    module: str
    parameters: Mapping[str, str]
    returns: str
    description: str = ""

    @classmethod
    def from_callable(cls, function: Callable[..., Any]) -> FunctionRecord:
        """Describe a typed Python function.

        Raises:
            DefinitionError: when a parameter or the return value has no type hint.
        """
        hints = typing.get_type_hints(function)
        parameters = {}
        for name in inspect.signature(function).parameters:
            if name not in hints:
                raise DefinitionError(
                    f"function {function.__name__!r} has no type hint for parameter {name!r}",
                    function=function.__name__,
                    parameter=name,
                )
            parameters[name] = type_string(hints[name])
        if "return" not in hints:
            raise DefinitionError(
                f"function {function.__name__!r} has no return type hint",
                function=function.__name__,
            )
        return cls(
            name=function.__name__,
            module=function.__module__,
            parameters=parameters,
            returns=type_string(hints["return"]),
            description=inspect.getdoc(function) or "",
        )


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    """A registered endpoint.

    Attributes:
        name: Endpoint name (the REST path segment and the tool name).
        description: Human description (becomes the tool description).
        input_schema: JSON Schema of the request body.
        output_schema: JSON Schema of the response body.
        feature_views: Names of the feature views it reads.
        functions: Names of the functions it runs.
    """

    name: str
    description: str
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any]
    feature_views: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PrincipalRecord:
    """A principal as the catalog administers it.

    Attributes:
        id: Catalog id.
        name: Unique name.
        kind: User, service account or agent.
        groups: Names of the groups it belongs to.
        created_at: When it was created.
        disabled: Whether its tokens are refused.
    """

    id: int
    name: str
    kind: PrincipalKind
    groups: frozenset[str]
    created_at: dt.datetime
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A group: it exists while it has members or grants.

    Attributes:
        name: Group name.
        members: Names of its member principals, sorted.
        grants: How many grants name the group.
    """

    name: str
    members: tuple[str, ...]
    grants: int = 0


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A token as administrators see it: never its secret nor its hash.

    Attributes:
        token_id: Public id of the token (``gw_<token_id>_…``), used to revoke it.
        principal: Name of the principal it authenticates.
        description: What the token is for.
        created_at: When it was issued.
        expires_at: When it stops working; ``None`` for never.
        revoked_at: When it was revoked; ``None`` while not revoked.
        last_used_at: When it was last used (to the minute); ``None`` if never.
        entity_filter: Entity keys (claims) the bearer is bound to, if any.
    """

    token_id: str
    principal: str
    description: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    entity_filter: Mapping[str, int | str] | None = None

    def is_active(self, now: dt.datetime) -> bool:
        """Whether the token still works at ``now`` (not revoked, not expired)."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class SyncStatus(StrEnum):
    """Outcome of a sync run."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SyncRun:
    """One run of the sync job for one view into one online store.

    Attributes:
        id: Catalog id.
        view: Feature view name.
        store: Online store name.
        started_at: When the run started.
        finished_at: When it finished; ``None`` while running.
        watermark: The largest ``event_ts`` synced so far; the next run reads
            only rows after it.
        rows_read: Rows read from the feature table.
        rows_written: Rows written to the store.
        rows_skipped: Rows not written because the store held a newer one.
        rows_failed: Rows that could not be written.
        status: Outcome of the run.
    """

    id: int
    view: str
    store: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    watermark: dt.datetime | None
    rows_read: int
    rows_written: int
    rows_skipped: int
    rows_failed: int
    status: SyncStatus


def type_string(annotation: Any) -> str:
    """A readable type string: ``int``, ``list[str]``, ``datetime.date | None``."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        if annotation.__module__ == "builtins":
            return annotation.__qualname__
        return f"{annotation.__module__}.{annotation.__qualname__}"
    return str(annotation).replace("typing.", "")


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
