"""Feast's feature-server API, ``POST /get-online-features``: Feast clients work unchanged.

A Feast ``FeatureStore`` configured with ``online_store: {type: remote, path: <url>}``
(or any client of Feast's feature server) reads Groundwork's online stores
through this door, in Feast's request and response shape::

    {"features": ["user_profile:budget_per_night"], "entities": {"user_id": [42, 7]},
     "full_feature_names": false}
    -> {"metadata": {"feature_names": ["user_id", "budget_per_night"]},
        "results": [{"values": [42, 7], "statuses": ["PRESENT", "PRESENT"],
                     "event_timestamps": ["1970-01-01T00:00:00Z", ...]},
                    {"values": [150.0, null], "statuses": ["PRESENT", "NOT_FOUND"],
                     "event_timestamps": ["2026-11-29T18:00:00Z", "1970-01-01T00:00:00Z"]}]}

Entity columns come first, then the features in the order asked (a feature
service: its views in order, each view's features in declaration order).
Where Feast's own server is wrong, this door is not: a feature of an entity the
store does not hold is ``null`` with status ``NOT_FOUND`` (Feast answers
``PRESENT`` with nulls, and an int64 null as -9223372036854775808), and an
expired record is ``null`` with status ``OUTSIDE_MAX_AGE`` and its event time.
Timestamp and date features are seconds since the epoch, as Feast writes them.

Every call passes the guard like any other: a bearer token, ``READ`` on every
feature view it reads (deny by default), the token's and the grants' entity
bounds, audit and metrics. All the lookups of one call go out as one read per
store, across views. :func:`feast_asgi` serves the path as plain ASGI (like the
invoke door); the typed route of :data:`router` gives it its OpenAPI operation
and answers it once middleware is added. Both call :func:`get_online_features`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Request
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StrictBool,
    StringConstraints,
    Tag,
    ValidationError,
)
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from groundwork.catalog.policy import Decision, ObjectType, Privilege, Securable
from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.guard import Admission, Channel, bearer_token
from groundwork.dag.http.invoke import BodySource, answer_json
from groundwork.dag.http.limits import Edge
from groundwork.dag.http.render import error_responses, invalid_input
from groundwork.dag.schemas import MAX_TEXT, Int64, validated
from groundwork.errors import (
    FeatureServiceNotFound,
    FeatureViewNotFound,
    InvalidInput,
)
from groundwork.features.spec import ValueType, ViewSpec
from groundwork.sync.base import EntityKey, OnlineStore, ReadRequest, StoredRecord
from groundwork.sync.config import DEFAULT_READ_TIMEOUT_SECONDS
from groundwork.sync.lookup import expired, oldest_servable, read_within

FEAST_PATH = "/get-online-features"
"""Where Feast clients (``online_store: {type: remote}``) read features."""
MAX_ENTITIES = 1000
"""Most entity rows one call reads (the length of each ``entities`` column)."""
MAX_FEATURES = 200
"""Most feature references one call names."""
MAX_ENTITY_COLUMNS = 8
"""Most entity columns (join keys) one call sends."""
METRIC = "feast:get_online_features"
"""Label this door's latency and status are observed under."""
AUDITED = Securable(ObjectType.FEATURE_VIEW, FEAST_PATH)
"""What the audit event names until the body says which views the call reads."""
MAX_AUDITED_NAME = 200
"""Longest list of view names an audit event repeats."""

PRESENT, NOT_FOUND, OUTSIDE_MAX_AGE = "PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE"
NO_TIMESTAMP = "1970-01-01T00:00:00Z"
"""Feast's event timestamp of an entity column and of a record not found."""
_EPOCH_DATE = dt.date(1970, 1, 1)

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
FeatureReference = Annotated[str, StringConstraints(
    pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}:[A-Za-z_][A-Za-z0-9_]{0,127}$")]


def _key_kind(value: object) -> str:
    return "str" if isinstance(value, str) else "int"


EntityValue = Annotated[
    Annotated[Int64, Tag("int")]
    | Annotated[str, Strict(), StringConstraints(max_length=MAX_TEXT), Tag("str")],
    Discriminator(_key_kind),
]
"""An entity key: a 64-bit integer or a short string (errors name the kind tried)."""
EntityColumn = Annotated[list[EntityValue], Field(min_length=1, max_length=MAX_ENTITIES)]


class OnlineFeaturesRequest(BaseModel):
    """Feast's ``get-online-features`` request: what to read, for which entities."""

    model_config = ConfigDict(extra="forbid")

    features: list[FeatureReference] = Field(
        default_factory=list, max_length=MAX_FEATURES,
        description="Features as `view:feature`; exactly one of `features` and "
                    "`feature_service`.")
    feature_service: Name | None = Field(
        default=None, description="A feature service: every feature of its views.")
    entities: dict[Name, EntityColumn] = Field(
        min_length=1, max_length=MAX_ENTITY_COLUMNS,
        json_schema_extra={"propertyNames": {"pattern": NAME_PATTERN},
                           "additionalProperties": False},
        description=f"Join key to its values, one per entity row (at most {MAX_ENTITIES}); "
                    "every column as long as the others.")
    full_feature_names: StrictBool = Field(
        default=False, description="Name features `view__feature` instead of `feature`.")
    include_feature_view_version_metadata: StrictBool = Field(
        default=False, description="Accepted for Feast clients; views carry no versions.")


Status = Literal["PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE"]


class FeatureVector(BaseModel):
    """One column of the answer: an entity key or a feature, one item per entity row."""

    values: list[Any]
    statuses: list[Status]
    event_timestamps: list[str] = Field(description="RFC 3339, UTC (`Z`).")


class FeatureNames(BaseModel):
    """The names of the answer's columns, entity keys first."""

    feature_names: list[str]


class OnlineFeaturesResponse(BaseModel):
    """Feast's ``get-online-features`` answer, column by column."""

    metadata: FeatureNames
    results: list[FeatureVector]


@dataclass(frozen=True, slots=True)
class ViewRead:
    """The features one call reads from one view.

    Attributes:
        view: The feature view.
        features: The features read, in the order first asked.
        decision: The grant decision allowing the read (its entity bounds apply).
    """

    view: ViewSpec
    features: list[str]
    decision: Decision


@dataclass(frozen=True, slots=True)
class ViewColumns:
    """What the door asks of a view on every call, worked out once per view.

    Attributes:
        features: The names of its features (its entity key is none).
        times: Those served as seconds since the epoch (timestamps and dates).
    """

    features: frozenset[str]
    times: frozenset[str]


@functools.lru_cache(maxsize=1024)
def view_columns(view: ViewSpec) -> ViewColumns:
    """The :class:`ViewColumns` of ``view`` (kept: specs are immutable values)."""
    return ViewColumns(
        frozenset(view.feature_names) - {view.entity},
        frozenset(feature.name for feature in view.features
                  if feature.dtype in (ValueType.TIMESTAMP, ValueType.DATE)))


Column = tuple[int, int, str]
"""One feature of the answer: its read's index, the feature's index in it, its column name."""


async def get_online_features(
    context: ServingContext, *, token: str | None, body: BodySource, trace_id: str | None,
    channel: Channel = "rest", now: dt.datetime | None = None,
) -> bytes:
    """Admit, validate, read and audit one ``get-online-features`` call; return the JSON body.

    Args:
        context: The serving context.
        token: The bearer token presented, ``None`` when absent.
        body: Reads the request body; called once the caller is authenticated.
        trace_id: The caller's request id; a new one when ``None``.
        channel: The door the call came through.
        now: The moment expiry is judged at (default: now).

    Raises:
        GroundworkError: a subclass with the HTTP status of the failure.
    """
    with context.guard.admit(channel=channel, token=token, privilege=Privilege.READ,
                             securable=None, audit_as=AUDITED, trace_id=trace_id,
                             metric=METRIC) as admission:
        try:
            request = validated(OnlineFeaturesRequest, await body() or b"{}")
        except ValidationError as error:
            raise invalid_input(error) from None
        if bool(request["features"]) == (request["feature_service"] is not None):
            raise InvalidInput("name either features or a feature_service",
                               fields=[{"field": "features", "message": "exactly one of "
                                        "features and feature_service", "type": "value_error"}])
        reads, columns = _selection(context, admission, request)
        entities: dict[str, list[EntityKey]] = request["entities"]
        _check_entities(admission, reads, entities)
        batches = await _read(context, reads, entities)
        moment = now or dt.datetime.now(dt.UTC)
        return _answer(reads, columns, entities, batches, moment)


def _selection(context: ServingContext, admission: Admission,
               request: Mapping[str, Any]) -> tuple[list[ViewRead], list[Column]]:
    """The views a call reads (each authorized) and the feature columns of its answer."""
    service = request["feature_service"]
    if service is not None:
        names = context.feature_services.get(service)
        if names is None or any(name not in context.views for name in names):
            raise FeatureServiceNotFound(f"no feature service named {service!r}",
                                         feature_service=service)
        wanted = [(name, feature, f"feature_service.{name}")
                  for name in names for feature in context.views[name].feature_names
                  if feature != context.views[name].entity]
    else:
        wanted = [(*reference.split(":", 1), f"features.{index}")
                  for index, reference in enumerate(request["features"])]
    view_names = list(dict.fromkeys(name for name, _, _ in wanted))
    admission.audit_as(Securable(ObjectType.FEATURE_VIEW, ",".join(view_names)[:MAX_AUDITED_NAME]))
    index_of: dict[str, int] = {}
    reads: list[ViewRead] = []
    for name in view_names:
        decision = admission.authorize(Securable(ObjectType.FEATURE_VIEW, name))
        view = context.views.get(name)
        if view is None:
            raise FeatureViewNotFound(f"no feature view named {name!r}", feature_view=name)
        index_of[name] = len(reads)
        reads.append(ViewRead(view, [], decision))
    columns: list[Column] = []
    seen: set[tuple[str, str]] = set()
    for name, feature, field in wanted:
        read = reads[index_of[name]]
        if feature not in view_columns(read.view).features:
            raise _invalid(field, f"feature view {name!r} has no feature {feature!r}")
        if (name, feature) in seen:
            raise _invalid(field, f"{name}:{feature} is asked twice")
        seen.add((name, feature))
        columns.append((index_of[name], len(read.features),
                        f"{name}__{feature}" if request["full_feature_names"] else feature))
        read.features.append(feature)
    return reads, columns


def _check_entities(admission: Admission, reads: Sequence[ViewRead],
                    entities: Mapping[str, list[EntityKey]]) -> None:
    """Refuse entity columns that are missing, extra, uneven, mistyped or out of bounds."""
    keys = {read.view.entity: read.view.entity_type for read in reads}
    for name in entities:
        if name not in keys:
            raise _invalid(f"entities.{name}", "not a join key of the feature views read")
    rows = None
    for name, key_type in keys.items():
        column = entities.get(name)
        if column is None:
            raise _invalid(f"entities.{name}", "missing: a feature view read is keyed by it")
        rows = len(column) if rows is None else rows
        if len(column) != rows:
            raise _invalid(f"entities.{name}", f"has {len(column)} values, not {rows}")
        wanted = int if key_type is ValueType.INT else str
        for index, value in enumerate(column):
            if type(value) is not wanted:
                raise _invalid(f"entities.{name}.{index}", f"not a {key_type.value} key")
    principal = admission.principal
    assert principal is not None, "entered admission"
    for read in reads:
        if principal.entity_filter or read.decision.entity_constraint:
            name = read.view.entity
            for value in dict.fromkeys(entities[name]):
                admission.check_entities({name: value}, read.decision)


async def _read(context: ServingContext, reads: Sequence[ViewRead],
                entities: Mapping[str, list[EntityKey]]) -> list[list[StoredRecord | None]]:
    """The records of every read, in order: one read per store, the stores at once."""
    by_store: dict[str, list[int]] = {}
    for index, read in enumerate(reads):
        name = context.view_stores.get(read.view.name, context.primary_store)
        by_store.setdefault(name, []).append(index)
    requests = [ReadRequest(read.view, entities[read.view.entity], read.features)
                for read in reads]
    calls = [_read_store(context.stores[name], [requests[index] for index in indexes])
             for name, indexes in by_store.items()]
    answers = [await calls[0]] if len(calls) == 1 else await asyncio.gather(*calls)
    batches: list[list[StoredRecord | None]] = [[] for _ in reads]
    for indexes, answer in zip(by_store.values(), answers, strict=True):
        for index, batch in zip(indexes, answer, strict=True):
            batches[index] = batch
    return batches


async def _read_store(store: OnlineStore, requests: list[ReadRequest]
                      ) -> list[list[StoredRecord | None]]:
    """One read of ``store``, bounded by its read timeout (an embedded store reads inline)."""
    timeout = (None if store.capabilities.embedded
               else store.read_timeout_seconds or DEFAULT_READ_TIMEOUT_SECONDS)
    return await read_within(store, requests, timeout)


def _answer(reads: Sequence[ViewRead], columns: Sequence[Column],
            entities: Mapping[str, list[EntityKey]], batches: Sequence[list[StoredRecord | None]],
            now: dt.datetime) -> bytes:
    """Feast's response body: entity columns first, then one column per feature."""
    rows = len(next(iter(entities.values())))
    names: list[str] = list(entities)
    entity_column = {"statuses": [PRESENT] * rows, "event_timestamps": [NO_TIMESTAMP] * rows}
    results: list[dict[str, Any]] = [{"values": values, **entity_column}
                                     for values in entities.values()]
    views = [_view_columns(read, batch, now) for read, batch in zip(reads, batches, strict=True)]
    for read_index, feature_index, name in columns:
        values, statuses, stamps = views[read_index]
        names.append(name)
        results.append({"values": values[feature_index], "statuses": statuses,
                        "event_timestamps": stamps})
    return orjson.dumps({"metadata": {"feature_names": names}, "results": results})


def _view_columns(read: ViewRead, batch: Sequence[StoredRecord | None], now: dt.datetime
                  ) -> tuple[list[list[Any]], list[str], list[str]]:
    """One view's feature columns, and the statuses and event times its features share."""
    statuses = [NOT_FOUND] * len(batch)
    stamps = [NO_TIMESTAMP] * len(batch)
    served: list[dict[str, Any] | None] = [None] * len(batch)
    oldest = oldest_servable(now, read.view.ttl_seconds)
    for row, record in enumerate(batch):
        if record is None:
            continue
        stamps[row] = feast_timestamp(record.event_ts)
        if expired(record, now, oldest):
            statuses[row] = OUTSIDE_MAX_AGE
        else:
            statuses[row] = PRESENT
            served[row] = record.values
    times = view_columns(read.view).times
    values = [[None if found is None else found.get(feature) for found in served]
              for feature in read.features]
    for column, feature in zip(values, read.features, strict=True):
        if feature in times:
            column[:] = [None if value is None else epoch_seconds(value) for value in column]
    return values, statuses, stamps


@functools.lru_cache(maxsize=4096)
def feast_timestamp(moment: dt.datetime) -> str:
    """``moment`` as Feast's server writes an event time: RFC 3339 in UTC, ``Z``.

    Memoised: the records of one sync run share their event time.

    Fractions as Feast writes them: none for whole seconds, else milliseconds
    when they suffice, else microseconds.
    """
    if moment.utcoffset():
        moment = moment.astimezone(dt.UTC)
    micro = moment.microsecond
    spec = "seconds" if not micro else "milliseconds" if not micro % 1000 else "microseconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def epoch_seconds(value: dt.datetime | dt.date) -> int:
    """A timestamp or date feature as Feast serves it: whole seconds since the epoch."""
    if isinstance(value, dt.datetime):
        return math.floor(value.timestamp())
    return (value - _EPOCH_DATE).days * 86400


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"invalid input: {field}",
                        fields=[{"field": field, "message": message, "type": "value_error"}])


async def feast_asgi(context: ServingContext, edge: Edge, scope: Scope, receive: Receive,
                     send: Send) -> None:
    """Serve one ``POST /get-online-features`` as plain ASGI (the typed route's answer)."""
    authorization = trace_id = None
    for key, value in scope["headers"]:
        if key == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif key == b"x-request-id" and trace_id is None:
            trace_id = value.decode("latin-1")
    body = edge.body(scope, receive)
    await answer_json(scope, receive, send, body, get_online_features(
        context, token=bearer_token(authorization), body=body.read, trace_id=trace_id))


router = APIRouter()


@router.post(
    FEAST_PATH, tags=["feast"], response_model=OnlineFeaturesResponse,
    responses=error_responses(401, 408, 413, 422, 503, **{
        "403": "No grant of READ on a feature view read, or an entity outside the token's.",
        "404": "No such feature view or feature service."}),
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{OnlineFeaturesRequest.__name__}"}}}}},
)
async def get_online_features_route(request: Request) -> Response:
    """Feature values of entities, in the shape of Feast's feature server.

    Feast clients (`online_store: {type: remote}`) call it unchanged. A feature
    not found is `null` with status `NOT_FOUND`; an expired one `null` with
    `OUTSIDE_MAX_AGE`. Needs READ on every feature view read.
    """
    context: ServingContext = request.app.state.serving
    body = await get_online_features(
        context, token=bearer_token(request.headers.get("authorization")), body=request.body,
        trace_id=request.headers.get("x-request-id"))
    return Response(body, media_type="application/json")
