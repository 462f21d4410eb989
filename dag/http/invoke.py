"""Endpoint calls: the one invoke implementation, and its plain-ASGI door.

:func:`invoke` serves a call whichever door it came through: the guard admits
it, the body is validated, the token's and the grant's entity bounds are
checked, the plan runs and the JSON answer is built. The body is read only
once the guard has admitted the caller, within the edge's limits
(:mod:`groundwork.dag.http.limits`). The typed FastAPI routes call it; so does
:func:`invoke_asgi`, the fast door for ``POST /v1/endpoints/{name}/invoke``
that skips the middleware stack, routing and dependency solving, which would
cost more than the call itself. Both render errors with
:func:`~groundwork.dag.http.render.render_error`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

import orjson
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from groundwork.catalog.policy import Privilege
from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.guard import Channel, bearer_token
from groundwork.dag.http.limits import CONNECTION_CLOSE, Edge, RequestBody
from groundwork.dag.http.render import invalid_input, render_error
from groundwork.dag.schemas import refusal, validated
from groundwork.errors import ClientDisconnected, EndpointNotFound

INVOKE_PREFIX = "/v1/endpoints/"
INVOKE_SUFFIX = "/invoke"
_JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
_JSON_TYPE = (b"content-type", b"application/json")


def json_default(value: object) -> object:
    """What orjson cannot write itself: a ``Decimal`` amount is written as a JSON number.

    Amounts are quantized (to the cent) before they get here, so the float's
    shortest representation is the decimal's own digits (``96.68``).
    """
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")

BodySource = Callable[[], Awaitable[bytes]]
"""Reads the request body when called (after the guard admitted the call)."""


async def invoke(
    context: ServingContext, *, name: str, token: str | None, body: BodySource,
    trace_id: str | None, channel: Channel = "rest",
) -> bytes:
    """Admit, validate, execute and audit one endpoint call; return the JSON body.

    Args:
        context: The serving context.
        name: Endpoint name (as the caller spelled it: it may not exist).
        token: The bearer token presented, ``None`` when absent.
        body: Reads the request body, a JSON object of the endpoint's inputs; called
            only once the caller is authenticated and authorized.
        trace_id: The caller's request id; a new one when ``None``.
        channel: The door the call came through.

    Raises:
        GroundworkError: a subclass with the HTTP status of the failure.
    """
    endpoint = context.endpoints.get(name)
    with context.guard.admit(
        channel=channel, token=token, privilege=Privilege.EXECUTE,
        securable=context.securable(name), trace_id=trace_id,
        metric="unknown" if endpoint is None else name,
    ) as admission:
        if endpoint is None:
            raise EndpointNotFound(f"no endpoint named {name!r}", endpoint=name)
        payload = await body()
        try:
            inputs = validated(endpoint.schemas.request, payload or b"{}")
        except ValidationError as error:
            raise refusal(endpoint.spec, error) or invalid_input(error) from None
        admission.check_entities(inputs)
        execution = await context.executor(endpoint)(inputs)
        return orjson.dumps(
            {"endpoint": name, "outputs": execution.outputs, "freshness": execution.freshness,
             "errors": execution.errors, "trace_id": admission.trace_id},
            default=json_default, option=_JSON_OPTIONS,
        )


def invoke_target(path: str) -> str | None:
    """The endpoint name of an ``/v1/endpoints/{name}/invoke`` path, else ``None``."""
    if path.startswith(INVOKE_PREFIX) and path.endswith(INVOKE_SUFFIX):
        name = path[len(INVOKE_PREFIX) : -len(INVOKE_SUFFIX)]
        if name and "/" not in name:
            return name
    return None


async def invoke_asgi(context: ServingContext, edge: Edge, name: str, scope: Scope,
                      receive: Receive, send: Send) -> None:
    """Serve one ``POST /v1/endpoints/{name}/invoke`` as plain ASGI.

    The same answer as the typed invoke routes: both call :func:`invoke` and
    render errors with :func:`render_error`.
    """
    authorization = trace_id = declared = None
    chunked = False
    for key, value in scope["headers"]:
        if key == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif key == b"x-request-id" and trace_id is None:
            trace_id = value.decode("latin-1")
        elif key == b"content-length":
            declared = int(value) if value.isdigit() else 0
        elif key == b"transfer-encoding":
            chunked = True
    body = RequestBody(edge, receive, declared, chunked)
    try:
        payload = await invoke(context, name=name, token=bearer_token(authorization),
                               body=body.read, trace_id=trace_id)
    except ClientDisconnected:
        return
    except Exception as error:  # noqa: BLE001 - every failure is answered in the error shape
        response = render_error(error)
        if body.must_close:
            response.raw_headers.append(CONNECTION_CLOSE)
        await response(scope, receive, send)
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"%d" % len(payload)), _JSON_TYPE]})
    await send({"type": "http.response.body", "body": payload})
