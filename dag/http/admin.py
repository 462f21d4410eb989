"""The admin API under ``/v1/admin``: usable only with ``MANAGE`` on the catalog.

Every admin call passes the guard (:mod:`groundwork.dag.http.guard`, channel
``admin``) through :class:`AdminRoute` before its handler runs; handlers are
thin and call one catalog method each. Catalog calls are synchronous SQL, so handlers are plain
functions that FastAPI runs in its thread pool, off the event loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine, Mapping
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.responses import Response

from groundwork.catalog import render
from groundwork.catalog.entity_filters import format_entity_filter, within
from groundwork.catalog.policy import (
    GranteeKind,
    ObjectType,
    Principal,
    PrincipalKind,
    Privilege,
    Securable,
)
from groundwork.catalog.store import Catalog
from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.guard import bearer_token
from groundwork.errors import AccessDenied

CATALOG = Securable(ObjectType.CATALOG, "catalog")
EntityValue = StrictInt | StrictStr


class AdminRoute(APIRoute):
    """A route that requires MANAGE on the catalog and audits every call."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler in the guard: MANAGE on the catalog, audited as this route."""
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
                response = await handler(request)
                admission.status = response.status_code
                return response

        return guarded


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

    name: str = Field(description="Unique name.")
    kind: PrincipalKind = Field(description="user, service or agent.")
    groups: list[str] = Field(default_factory=list, description="Groups it joins.")


class TokenIn(_Body):
    """A token to issue; its plaintext is returned once."""

    principal: str = Field(description="Principal the token authenticates.")
    expires_in_seconds: int | None = Field(default=None, gt=0, description="Lifetime.")
    description: str = ""
    entity_filter: dict[str, EntityValue] | None = Field(
        default=None, description="Entities the bearer acts for, e.g. {\"user_id\": 42}.")


class GrantIn(_Body):
    """A grant of a privilege on objects matching a pattern."""

    grantee: str
    grantee_kind: GranteeKind = GranteeKind.PRINCIPAL
    privilege: Privilege
    object_type: ObjectType
    pattern: str = Field(description="Exact name, fnmatch pattern (hotel_*) or *.")
    entity_filter: dict[str, EntityValue] | None = Field(
        default=None, description="Entity keys to fixed values or \"$claims.<key>\".")


router = APIRouter(prefix="/v1/admin", tags=["admin"], route_class=AdminRoute)


@router.get("/principals")
def list_principals(request: Request) -> Response:
    """Every principal with its kind, groups and state."""
    return _json(_catalog(request).list_principals())


@router.post("/principals", status_code=201)
def create_principal(request: Request, body: PrincipalIn) -> Response:
    """Create a user, service account or agent."""
    record = _catalog(request).create_principal(body.name, body.kind, body.groups)
    return _json(record, 201)


@router.post("/principals/{name}/disable")
def disable_principal(request: Request, name: str, disabled: bool = True) -> Response:
    """Disable (or re-enable) a principal; its tokens stop working at once."""
    _catalog(request).set_principal_disabled(name, disabled)
    return _json(_catalog(request).get_principal(name))


@router.delete("/principals/{name}", status_code=204)
def delete_principal(request: Request, name: str) -> Response:
    """Delete a principal with its tokens, memberships and direct grants."""
    _catalog(request).delete_principal(name)
    return Response(status_code=204)


@router.get("/groups")
def list_groups(request: Request) -> Response:
    """Groups with their members."""
    return _json(_catalog(request).list_groups())


@router.put("/groups/{group}/members/{principal}", status_code=204)
def add_member(request: Request, group: str, principal: str) -> Response:
    """Add a principal to a group."""
    _catalog(request).add_to_group(principal, group)
    return Response(status_code=204)


@router.delete("/groups/{group}/members/{principal}", status_code=204)
def remove_member(request: Request, group: str, principal: str) -> Response:
    """Remove a principal from a group."""
    _catalog(request).remove_from_group(principal, group)
    return Response(status_code=204)


@router.get("/tokens")
def list_tokens(request: Request, principal: str | None = None) -> Response:
    """Tokens (never their secret), optionally of one principal."""
    return _json(_catalog(request).list_tokens(principal))


@router.post("/tokens", status_code=201)
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


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(request: Request, token_id: str) -> Response:
    """Revoke a token; it stops working at once."""
    _catalog(request).revoke_token(token_id)
    return Response(status_code=204)


@router.get("/grants")
def list_grants(request: Request, grantee: str | None = None,
                object_type: ObjectType | None = None, object_name: str | None = None) -> Response:
    """Grants, optionally filtered by grantee or by the object they cover."""
    return _json(_catalog(request).list_grants(
        grantee=grantee, object_type=object_type, object_name=object_name))


@router.post("/grants", status_code=201)
def create_grant(request: Request, body: GrantIn) -> Response:
    """Grant a privilege (deny by default: no grant, no access)."""
    grant = _catalog(request).grant(
        body.grantee, body.privilege, body.object_type, body.pattern,
        grantee_kind=body.grantee_kind, entity_filter=body.entity_filter)
    return _json(grant, 201)


@router.post("/grants/revoke", status_code=204)
def revoke_grant(request: Request, body: GrantIn) -> Response:
    """Revoke the grant with the same grantee, privilege, object type and pattern."""
    _catalog(request).revoke_grant(body.grantee, body.privilege, body.object_type,
                                   body.pattern, grantee_kind=body.grantee_kind)
    return Response(status_code=204)


@router.get("/audit")
def audit(
    request: Request,
    principal: str | None = None,
    object_type: ObjectType | None = None,
    object_name: str | None = None,
    allowed: bool | None = None,
    since: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> Response:
    """Audit events, newest first, one page at a time (follow ``next_cursor``)."""
    page = _catalog(request).query_audit(
        principal=principal, object_type=object_type, object_name=object_name,
        allowed=allowed, since=since, limit=limit, cursor=cursor)
    return _json(page)


@router.get("/lineage/{endpoint}")
def lineage(request: Request, endpoint: str,
            format: Literal["json", "dot", "mermaid"] = "json") -> Response:  # noqa: A002
    """What an endpoint runs and reads, down to raw datasets and online stores."""
    served = request.app.state.serving.endpoints.get(endpoint)
    upstream = served.plan.graph.upstream if served is not None else {}
    graph = _catalog(request).lineage(endpoint, upstream)
    if format == "dot":
        return Response(render.to_dot(graph), media_type="text/vnd.graphviz")
    if format == "mermaid":
        return Response(render.to_mermaid(graph), media_type="text/plain")
    return _json(graph)


@router.get("/sync-runs")
def sync_runs(request: Request, view: str | None = None) -> Response:
    """Recent sync runs (watermarks and row counts per view and store)."""
    return _json(_catalog(request).sync_runs(view))
