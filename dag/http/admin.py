"""The admin API under ``/v1/admin``: usable only with ``MANAGE`` on the catalog.

Every admin call passes the guard (:mod:`groundwork.dag.http.guard`, channel
``admin``) through :class:`AdminRoute` before its handler runs; handlers are
thin and call one catalog method each. Catalog calls are synchronous SQL, so handlers are plain
functions that FastAPI runs in its thread pool, off the event loop.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.routing import APIRoute
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from groundwork.catalog import render
from groundwork.catalog.entity_filters import (
    ENTITY_KEY_PATTERN,
    MAX_ENTRIES,
    MAX_TEXT_VALUE,
    format_entity_filter,
    valid_grant_value,
    valid_value,
    within,
)
from groundwork.catalog.policy import (
    GRANT_PATTERN,
    GranteeKind,
    ObjectType,
    Principal,
    PrincipalKind,
    Privilege,
    Securable,
)
from groundwork.catalog.store import Catalog
from groundwork.catalog.tokens import MAX_DESCRIPTION, MAX_LIFETIME
from groundwork.catalog.validation import INT64_MAX, INT64_MIN, NAME_PATTERN
from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.guard import bearer_token
from groundwork.dag.http.render import error_responses
from groundwork.dag.schemas import integral
from groundwork.errors import AccessDenied, ClientDisconnected, InvalidInput

TOKEN_ID = "^[0-9a-f]{16}$"
"""A token's public id (``gw_<token_id>_<secret>``)."""

CATALOG = Securable(ObjectType.CATALOG, "catalog")
MAX_TEXT = 200
"""Longest filter value of a listing (names are at most 200 characters)."""

Name = Annotated[str, StringConstraints(pattern=f"^{NAME_PATTERN}$")]
"""A principal, group or endpoint name, as the catalog accepts it."""
EntityKey = Annotated[str, StringConstraints(pattern=f"^{ENTITY_KEY_PATTERN}$")]
_INT64_SCHEMA = {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX}
_TEXT_SCHEMA = {"type": "string", "maxLength": MAX_TEXT_VALUE}


def _entity_value(rule: Callable[[object], bool], text: str) -> Callable[[Any], int | str]:
    """A validator of entity filter values by the catalog's ``rule``: one error per value."""

    def validate(value: Any) -> int | str:
        value = integral(value)
        if not rule(value):
            raise ValueError(f"must be a 64-bit integer or {text}")
        return value

    return validate


TokenValue = Annotated[
    int | str, PlainValidator(_entity_value(valid_value, "a string of at most 200 characters")),
    WithJsonSchema({"anyOf": [_INT64_SCHEMA, _TEXT_SCHEMA]})]
GrantValue = Annotated[
    int | str, PlainValidator(_entity_value(
        valid_grant_value, "a string of at most 200 characters, $claims.<key> if it starts "
        "with $")),
    WithJsonSchema({"anyOf": [_INT64_SCHEMA, {
        **_TEXT_SCHEMA, "pattern": rf"^(?:$|[^$]|\$claims\.{ENTITY_KEY_PATTERN}$)"}]})]
_FILTER_SIZE = Field(min_length=1, max_length=MAX_ENTRIES,
                     json_schema_extra={"additionalProperties": False})
TokenFilter = Annotated[dict[EntityKey, TokenValue], _FILTER_SIZE]
GrantFilter = Annotated[dict[EntityKey, GrantValue], _FILTER_SIZE]
def _iso_text(value: Any) -> Any:
    """Refuse a number as a time (pydantic would read it as seconds since 1970)."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z")
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_text)]
"""A timezone-aware ISO 8601 date-time; a number is not one."""
NamePath = Annotated[str, Path(pattern=f"^{NAME_PATTERN}$")]
NameQuery = Annotated[str | None, Query(pattern=f"^{NAME_PATTERN}$")]
TextQuery = Annotated[str | None, Query(max_length=MAX_TEXT)]


class AdminRoute(APIRoute):
    """A route that requires MANAGE on the catalog and audits every call."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler in the guard: MANAGE on the catalog, audited as this route.

        The body is read once the caller is admitted, within the edge's limits
        (FastAPI's handler then finds it read).
        """
        handler = super().get_route_handler()
        action = Securable(ObjectType.CATALOG,
                           f"{','.join(sorted(self.methods or ()))} {self.path}")

        async def guarded(request: Request) -> Response:
            context: ServingContext = request.app.state.serving
            with context.guard.admit(
                channel="admin", token=bearer_token(request.headers.get("authorization")),
                privilege=Privilege.MANAGE, securable=CATALOG, audit_as=action,
                trace_id=request.headers.get("x-request-id"),
            ) as admission:
                request.state.principal = admission.principal
                await _read_body(request)
                response = await handler(request)
                admission.status = response.status_code
                return response

        return guarded


async def _read_body(request: Request) -> None:
    """Read the request's body (within the edge's limits), refusing one that is not UTF-8.

    Raises:
        ClientDisconnected: when the client went away first.
        InvalidInput: when the body is not UTF-8 text (so cannot be JSON).
    """
    try:
        body = await request.body()
    except ClientDisconnect:
        raise ClientDisconnected("the client closed the connection") from None
    try:
        body.decode()
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8 JSON", field="body") from None


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(type(value).__name__)


def _json(value: Any, status: int = 200) -> Response:
    # orjson serialises dataclasses, enums and datetimes itself; _plain does the rest.
    body = orjson.dumps(value, default=_plain, option=orjson.OPT_UTC_Z)
    return Response(body, status_code=status, media_type="application/json")


def _catalog(request: Request) -> Catalog:
    context: ServingContext = request.app.state.serving
    return context.catalog


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PrincipalIn(_Body):
    """A principal to create."""

    name: Name = Field(description="Unique name.")
    kind: PrincipalKind = Field(description="user, service or agent.")
    groups: list[Name] = Field(default_factory=list, description="Groups it joins.")


class TokenIn(_Body):
    """A token to issue; its plaintext is returned once."""

    principal: Name = Field(description="Principal the token authenticates.")
    expires_in_seconds: int | None = Field(
        default=None, gt=0, le=int(MAX_LIFETIME.total_seconds()),
        description="Lifetime, at most ten years; none: the token never expires.")
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    entity_filter: TokenFilter | None = Field(
        default=None, description="Entities the bearer acts for, e.g. {\"user_id\": 42}.")


class GrantIn(_Body):
    """A grant of a privilege on objects matching a pattern."""

    grantee: Name
    grantee_kind: GranteeKind = GranteeKind.PRINCIPAL
    privilege: Privilege
    object_type: ObjectType
    pattern: str = Field(pattern=f"^{GRANT_PATTERN}$",
                         description="Exact name, fnmatch pattern (hotel_*) or *.")
    entity_filter: GrantFilter | None = Field(
        default=None, description="Entity keys to fixed values or \"$claims.<key>\".")


BODY_MODELS: tuple[type[BaseModel], ...] = (PrincipalIn, TokenIn, GrantIn)
"""The admin API's request bodies (the OpenAPI document publishes them as pydantic writes them)."""

router = APIRouter(prefix="/v1/admin", tags=["admin"], route_class=AdminRoute,
                   responses=error_responses(401, 408, 413, 422, **{
                       "403": "The caller holds no MANAGE on the catalog, or (minting a "
                              "token) is bound to narrower entities than it asks."}))
_NOT_FOUND = error_responses(404)
_CONFLICT = error_responses(409)
_BOTH = error_responses(404, 409)


@router.get("/principals")
def list_principals(request: Request) -> Response:
    """Every principal with its kind, groups and state."""
    return _json(_catalog(request).list_principals())


@router.post("/principals", status_code=201, responses=_CONFLICT)
def create_principal(request: Request, body: PrincipalIn) -> Response:
    """Create a user, service account or agent."""
    record = _catalog(request).create_principal(body.name, body.kind, body.groups)
    return _json(record, 201)


@router.post("/principals/{name}/disable", responses=_NOT_FOUND)
def disable_principal(request: Request, name: NamePath, disabled: bool = True) -> Response:
    """Disable (or re-enable) a principal; its tokens stop working at once."""
    _catalog(request).set_principal_disabled(name, disabled)
    return _json(_catalog(request).get_principal(name))


@router.delete("/principals/{name}", status_code=204, responses=_NOT_FOUND)
def delete_principal(request: Request, name: NamePath) -> Response:
    """Delete a principal with its tokens, memberships and direct grants."""
    _catalog(request).delete_principal(name)
    return Response(status_code=204)


@router.get("/groups")
def list_groups(request: Request) -> Response:
    """Groups with their members."""
    return _json(_catalog(request).list_groups())


@router.put("/groups/{group}/members/{principal}", status_code=204, responses=_BOTH)
def add_member(request: Request, group: NamePath, principal: NamePath) -> Response:
    """Add a principal to a group."""
    _catalog(request).add_to_group(principal, group)
    return Response(status_code=204)


@router.delete("/groups/{group}/members/{principal}", status_code=204, responses=_NOT_FOUND)
def remove_member(request: Request, group: NamePath, principal: NamePath) -> Response:
    """Remove a principal from a group."""
    _catalog(request).remove_from_group(principal, group)
    return Response(status_code=204)


@router.get("/tokens", responses=_NOT_FOUND)
def list_tokens(request: Request, principal: NameQuery = None) -> Response:
    """Tokens (never their secret), optionally of one principal."""
    return _json(_catalog(request).list_tokens(principal))


@router.post("/tokens", status_code=201, responses=_BOTH)
def issue_token(request: Request, body: TokenIn) -> Response:
    """Issue a token; the response is the only place its plaintext ever appears.

    A caller whose own token is bound to entities may only mint tokens bound at
    least as narrowly: it cannot escalate to an unbound or wider token.
    """
    minter: Principal = request.state.principal
    if not within(body.entity_filter, minter.entity_filter):
        raise AccessDenied(
            f"a token bound to {format_entity_filter(minter.entity_filter or {})} cannot "
            "mint a token that is unbound or wider than itself", field="entity_filter")
    expires_at = (None if body.expires_in_seconds is None else
                  dt.datetime.now(dt.UTC) + dt.timedelta(seconds=body.expires_in_seconds))
    issued = _catalog(request).issue_token(
        body.principal, expires_at=expires_at, description=body.description,
        entity_filter=body.entity_filter)
    return _json({"token_id": issued.token_id, "token": issued.token,
                  "expires_at": expires_at}, 201)


@router.delete("/tokens/{token_id}", status_code=204, responses=_BOTH)
def revoke_token(request: Request, token_id: Annotated[str, Path(pattern=TOKEN_ID)]) -> Response:
    """Revoke a token; it stops working at once."""
    _catalog(request).revoke_token(token_id)
    return Response(status_code=204)


@router.get("/grants")
def list_grants(request: Request, grantee: TextQuery = None,
                object_type: ObjectType | None = None, object_name: TextQuery = None
                ) -> Response:
    """Grants, optionally filtered by grantee or by the object they cover."""
    return _json(_catalog(request).list_grants(
        grantee=grantee, object_type=object_type, object_name=object_name))


@router.post("/grants", status_code=201, responses=_BOTH)
def create_grant(request: Request, body: GrantIn) -> Response:
    """Grant a privilege (deny by default: no grant, no access)."""
    grant = _catalog(request).grant(
        body.grantee, body.privilege, body.object_type, body.pattern,
        grantee_kind=body.grantee_kind, entity_filter=body.entity_filter)
    return _json(grant, 201)


@router.post("/grants/revoke", status_code=204, responses=_NOT_FOUND)
def revoke_grant(request: Request, body: GrantIn) -> Response:
    """Revoke the grant with the same grantee, privilege, object type and pattern."""
    _catalog(request).revoke_grant(body.grantee, body.privilege, body.object_type,
                                   body.pattern, grantee_kind=body.grantee_kind)
    return Response(status_code=204)


@router.get("/audit")
def audit(
    request: Request,
    principal: TextQuery = None,
    object_type: ObjectType | None = None,
    object_name: TextQuery = None,
    allowed: bool | None = None,
    since: IsoDateTime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Audit events, newest first, one page at a time (follow ``next_cursor``)."""
    page = _catalog(request).query_audit(
        principal=principal, object_type=object_type, object_name=object_name,
        allowed=allowed, since=since, limit=limit, cursor=cursor)
    return _json(page)


@router.get("/lineage/{endpoint}", responses={**_NOT_FOUND, 200: {
    "description": "The graph: JSON, Graphviz DOT or Mermaid text, as `format` asks.",
    "content": {"application/json": {}, "text/vnd.graphviz": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}}}}})
def lineage(request: Request, endpoint: NamePath,
            format: Literal["json", "dot", "mermaid"] = "json") -> Response:  # noqa: A002
    """What an endpoint runs and reads, down to raw datasets and online stores."""
    served = request.app.state.serving.endpoints.get(endpoint)
    upstream = served.plan.graph.upstream if served is not None else {}
    graph = _catalog(request).lineage(endpoint, upstream)
    if format == "dot":
        return Response(render.to_dot(graph), media_type="text/vnd.graphviz")
    if format == "mermaid":
        return Response(render.to_mermaid(graph), media_type="text/plain")
    return _json(render.to_document(graph))


@router.get("/sync-runs")
def sync_runs(request: Request, view: TextQuery = None) -> Response:
    """Recent sync runs (watermarks and row counts per view and store).

    Why a run failed is not answered here: the reason names paths and driver text,
    which stay in the catalog and the sync's log; a failed run's status says it failed.
    """
    return _json([dataclasses.replace(run, error=None)
                  for run in _catalog(request).sync_runs(view)])
