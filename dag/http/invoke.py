"""Endpoint calls: the one invoke implementation, its batch form, and their plain-ASGI door.

:func:`invoke` serves a call whichever door it came through: the guard admits
it, the body is validated, the token's and the grant's entity bounds are
checked, the plan runs and the JSON answer is built. :func:`invoke_many`
serves up to :data:`~groundwork.dag.schemas.MAX_ITEMS` calls of one endpoint
in one request (``POST /v1/endpoints/{name}/invoke-many``): one admission and
one audit event for the request, the entity bounds checked for every item, and
the items executed together (:func:`~groundwork.dag.batch.run_many`). The body is read only
once the guard has admitted the caller, within the edge's limits
(:mod:`groundwork.dag.http.limits`). The typed FastAPI routes call it; so does
:func:`invoke_asgi`, the fast door for ``POST /v1/endpoints/{name}/invoke``
that skips the middleware stack, routing and dependency solving, which would
cost more than the call itself (it serves ``/invoke-many`` too). Both render
errors with :func:`~groundwork.dag.http.render.render_error`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from groundwork.catalog.policy import Privilege
from groundwork.dag.batch import run_many
from groundwork.dag.executor import Execution
from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.guard import Admission, Channel, bearer_token
from groundwork.dag.http.limits import CONNECTION_CLOSE, Edge, RequestBody
from groundwork.dag.http.render import invalid_fields, invalid_input, render_error
from groundwork.dag.runtime import CompiledEndpoint
from groundwork.dag.schemas import refusal, validated
from groundwork.errors import AccessDenied, ClientDisconnected, EndpointNotFound, GroundworkError

INVOKE_PREFIX = "/v1/endpoints/"
INVOKE_SUFFIX = "/invoke"
INVOKE_MANY_SUFFIX = "/invoke-many"
MANY_METRIC_SUFFIX = ":many"
"""Batch calls are observed under ``{endpoint}:many``, apart from single calls."""
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
    with _admission(context, name, "", token, trace_id, channel) as admission:
        endpoint = context.endpoints[name]  # there: the admission refuses an unknown name
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


async def invoke_many(
    context: ServingContext, *, name: str, token: str | None, body: BodySource,
    trace_id: str | None, channel: Channel = "rest",
) -> bytes:
    """Admit, validate, execute and audit a batch of calls of one endpoint; return the JSON body.

    The body is ``{"inputs": [{...}, ...]}``, 1 to
    :data:`~groundwork.dag.schemas.MAX_ITEMS` items, each the inputs of one call.
    The answer holds one result per item, in order. An item its own call would
    fail once validated (an unknown city, a failed store) gets that error as
    its result; the other items are served. The whole request fails only when
    the caller is not admitted, the body or an item does not validate (422
    naming ``inputs[i].field``) or an item is outside the token's or grant's
    entities (403). One audit event names the number of items.

    Args:
        context: The serving context.
        name: Endpoint name (as the caller spelled it: it may not exist).
        token: The bearer token presented, ``None`` when absent.
        body: Reads the request body; called only once the caller is admitted.
        trace_id: The caller's request id; a new one when ``None``.
        channel: The door the call came through.

    Raises:
        GroundworkError: a subclass with the HTTP status of the failure.
    """
    with _admission(context, name, MANY_METRIC_SUFFIX, token, trace_id, channel) as admission:
        endpoint = context.endpoints[name]  # there: the admission refuses an unknown name
        items = validated_items(endpoint, await body())
        for index, item in enumerate(items):
            _check_item_entities(admission, index, item)
        results = [_item_result(outcome)
                   for outcome in await run_many(context.executor(endpoint), items)]
        failed = sum(result["error"] is not None for result in results)
        admission.reason = f"{admission.reason}; {len(items)} items, {failed} failed"
        return orjson.dumps({"endpoint": name, "results": results, "trace_id": admission.trace_id},
                            default=json_default, option=_JSON_OPTIONS)


def _admission(context: ServingContext, name: str, metric_suffix: str, token: str | None,
               trace_id: str | None, channel: Channel) -> Admission:
    """The guard's admission of a call of endpoint ``name``, to enter with ``with``.

    Entering authenticates and authorizes ``EXECUTE`` on the name, then raises
    ``EndpointNotFound`` when no endpoint has it (audited and observed under
    ``unknown``); a known endpoint's call is observed under its name followed
    by ``metric_suffix``.
    """
    known = name in context.endpoints
    return context.guard.admit(
        channel=channel, token=token, privilege=Privilege.EXECUTE,
        securable=context.securable(name), trace_id=trace_id,
        metric=name + metric_suffix if known else "unknown",
        missing=None if known else EndpointNotFound(f"no endpoint named {name!r}", endpoint=name),
    )


def validated_items(endpoint: CompiledEndpoint, payload: bytes) -> list[dict[str, Any]]:
    """The inputs of each item of a batch ``payload``, validated by the endpoint's request model.

    Raises:
        InvalidInput: the envelope or an item does not validate; fields are named
            ``inputs``, ``inputs[i]`` or ``inputs[i].field``. An input an endpoint
            refuses in its own words in a single call (``nights`` over the limit
            is ``stay_too_long``) is invalid here too: the published schema
            bounds it.
    """
    try:
        envelope = validated(endpoint.schemas.many_request, payload or b"{}")
    except ValidationError as error:
        problems = error.errors(include_url=False, include_context=False, include_input=False)
        raise invalid_fields([_located(problem) for problem in problems]) from None
    return [item.__dict__ for item in envelope["inputs"]]


def _located(problem: Mapping[str, Any]) -> Mapping[str, Any]:
    """``problem`` with an item's location written ``inputs[i]``."""
    location = problem["loc"]
    if len(location) < 2 or location[0] != "inputs" or not isinstance(location[1], int):
        return problem
    return {**problem, "loc": (f"inputs[{location[1]}]", *location[2:])}


def _check_item_entities(admission: Admission, index: int, inputs: Mapping[str, Any]) -> None:
    """Refuse the whole batch when item ``index`` is outside the caller's entities."""
    try:
        admission.check_entities(inputs)
    except AccessDenied as error:
        field = error.details.get("field")
        error.details["field"] = f"inputs[{index}]" + (f".{field}" if field else "")
        raise


def _item_result(outcome: Execution | GroundworkError) -> dict[str, Any]:
    """One item's entry of a batch answer: its outputs, or the error its own call answers."""
    if isinstance(outcome, GroundworkError):
        return {"status": outcome.status_code, "outputs": None, "freshness": [], "errors": {},
                "error": {"code": outcome.code, "message": outcome.message,
                          "details": outcome.details}}
    return {"status": 200, "outputs": outcome.outputs, "freshness": outcome.freshness,
            "errors": outcome.errors, "error": None}


Service = Callable[..., Awaitable[bytes]]
"""A call implementation: :func:`invoke` or :func:`invoke_many`."""


def invoke_target(path: str) -> tuple[str, Service] | None:
    """The endpoint name and service of an ``/invoke`` or ``/invoke-many`` path, else ``None``."""
    if not path.startswith(INVOKE_PREFIX):
        return None
    if path.endswith(INVOKE_SUFFIX):
        name, service = path[len(INVOKE_PREFIX) : -len(INVOKE_SUFFIX)], invoke
    elif path.endswith(INVOKE_MANY_SUFFIX):
        name, service = path[len(INVOKE_PREFIX) : -len(INVOKE_MANY_SUFFIX)], invoke_many
    else:
        return None
    return (name, service) if name and "/" not in name else None


async def invoke_asgi(context: ServingContext, edge: Edge, target: tuple[str, Service],
                      scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one ``POST /v1/endpoints/{name}/invoke`` (or ``/invoke-many``) as plain ASGI.

    The same answer as the typed routes: both call the service of ``target``
    (:func:`invoke_target`) and render errors with :func:`render_error`.
    """
    name, service = target
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
    await answer_json(scope, receive, send, body, service(
        context, name=name, token=bearer_token(authorization), body=body.read,
        trace_id=trace_id))


async def answer_json(scope: Scope, receive: Receive, send: Send, body: RequestBody,
                      produce: Awaitable[bytes]) -> None:
    """Answer a plain-ASGI door's call: 200 with the JSON ``produce`` returns, or its error.

    A failure is rendered in the error shape (:func:`render_error`), closing the
    connection when the body was not read whole; a client that went away gets nothing.
    """
    try:
        payload = await produce
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
