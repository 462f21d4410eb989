"""The asynchronous client of a Groundwork server: the one body every client API runs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

import httpx
import orjson

from groundwork.client.results import (
    JsonObject,
    Result,
    ToolSpec,
    default_invoke_many_path,
    default_invoke_path,
)
from groundwork.client.tracing import next_request_id
from groundwork.errors import (
    AccessDenied,
    EndpointNotFound,
    FeatureViewNotFound,
    FunctionNotFound,
    GroundworkError,
    InvalidInput,
    InvalidResponse,
    NotAuthenticated,
    NotFound,
    RateLimited,
    ServerTimeout,
    ServerUnreachable,
    StoreUnavailable,
    Unavailable,
)

TOOLS_PATH = "/v1/tools"
"""Route listing the endpoints the caller may execute."""

_BY_CODE: dict[str, type[GroundworkError]] = {
    error.code: error
    for error in (NotAuthenticated, AccessDenied, NotFound, EndpointNotFound, FunctionNotFound,
                  FeatureViewNotFound, InvalidInput, RateLimited, StoreUnavailable, Unavailable)
}
_BY_STATUS: dict[int, type[GroundworkError]] = {
    401: NotAuthenticated, 403: AccessDenied, 404: NotFound, 422: InvalidInput,
    429: RateLimited, 503: Unavailable,
}


class AsyncClient:
    """Asynchronous client of a Groundwork server, over one keep-alive connection pool.

    Every failure is an exception of the :class:`~groundwork.errors.GroundworkError`
    hierarchy: :class:`~groundwork.errors.NotAuthenticated` (401),
    :class:`~groundwork.errors.AccessDenied` (403), :class:`~groundwork.errors.NotFound`
    (404), :class:`~groundwork.errors.InvalidInput` (422),
    :class:`~groundwork.errors.Unavailable` (503, an unreachable server, a timeout), each
    with the server's ``code``, ``message``, ``details`` and ``http_status``.

    Args:
        base_url: Root URL of the server, e.g. ``http://127.0.0.1:8000``.
        token: Bearer token of the calling principal.
        timeout: Seconds to wait for connecting, reading or writing.
        headers: More headers sent with every request (tracing, for instance).
        transport: Transport to use instead of the network, e.g.
            ``httpx.ASGITransport(app=...)`` to call an app in process.

    Example:
        >>> async with AsyncClient("http://127.0.0.1:8000", token) as client:  # doctest: +SKIP
        ...     result = await client.invoke("user_profile", {"user_id": 42})
        ...     result["budget_per_night"], result.freshness[0].status
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.token = token
        """The bearer token the client calls with (for other doors, such as MCP)."""
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={**(headers or {}), "Authorization": f"Bearer {token}",
                     "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )
        self._invoke_paths: dict[str, str] = {}

    async def list_tools(self) -> list[ToolSpec]:
        """Return the endpoints the caller may execute, with their JSON Schemas.

        Raises:
            GroundworkError: a subclass naming why the listing failed.
        """
        body = await self._request("GET", TOOLS_PATH)
        specs = [ToolSpec.from_json(entry) for entry in body.get("tools", [])]
        self._invoke_paths.update((spec.name, spec.invoke_path) for spec in specs)
        return specs

    async def invoke(
        self,
        endpoint: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        invoke_path: str | None = None,
    ) -> Result:
        """Call ``endpoint`` with ``inputs``; return its outputs and their freshness.

        Args:
            endpoint: Endpoint name, e.g. ``hotel_offers``.
            inputs: The request inputs, sent as the JSON body.
            invoke_path: Route to post to; defaults to the one :meth:`list_tools`
                published for ``endpoint``, else ``/v1/endpoints/{endpoint}/invoke``.

        Raises:
            InvalidInput: the inputs do not validate (``details`` names the fields)
                or are not JSON (code ``invalid_arguments``).
            NotAuthenticated, AccessDenied, NotFound, Unavailable, GroundworkError:
                the server refused or failed, or could not be reached.
        """
        path = invoke_path or self._invoke_paths.get(endpoint) or default_invoke_path(endpoint)
        body = await self._request("POST", path, dict(inputs or {}))
        try:
            return Result.from_json(body, endpoint)
        except (KeyError, TypeError, ValueError) as error:
            raise _received(InvalidResponse(f"Groundwork answered {path} with no endpoint "
                                            f"result: {error!r}"), 200) from error

    async def invoke_many(
        self,
        endpoint: str,
        inputs: Iterable[Mapping[str, Any]],
        *,
        invoke_many_path: str | None = None,
    ) -> list[Result | GroundworkError]:
        """Call ``endpoint`` once per item of ``inputs``, in one request; answer in order.

        The server serves the items together (one store read per round for all
        of them), so 100 users' profiles cost one request instead of 100. An item
        refused or failed on its own (an unknown city, a store that is down) is
        returned in its place as the exception its own :meth:`invoke` would
        raise; the other items are :class:`Result` objects sharing the request's
        ``trace_id``.

        Args:
            endpoint: Endpoint name, e.g. ``user_profile``.
            inputs: The request inputs of each call, at most 1000 of them.
            invoke_many_path: Route to post to; defaults to
                ``/v1/endpoints/{endpoint}/invoke-many``.

        Raises:
            InvalidInput: no items, more than the server accepts, or an item that
                does not validate (``details`` names ``inputs[i].field``).
            AccessDenied: an item names an entity outside the token's (the whole
                request is refused).
            NotAuthenticated, NotFound, Unavailable, GroundworkError: the server
                refused or failed, or could not be reached.
        """
        path = invoke_many_path or default_invoke_many_path(endpoint)
        body = await self._request("POST", path, {"inputs": [dict(item) for item in inputs]})
        try:
            trace_id = str(body.get("trace_id", ""))
            name = str(body.get("endpoint", endpoint))
            return [_item(entry, name, trace_id) for entry in body["results"]]
        except (KeyError, TypeError, ValueError) as error:
            raise _received(InvalidResponse(f"Groundwork answered {path} with no batch "
                                            f"results: {error!r}"), 200) from error

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _request(self, method: str, path: str, payload: JsonObject | None = None
                       ) -> JsonObject:
        try:
            content = None if payload is None else orjson.dumps(payload)
        except TypeError as error:
            invalid = InvalidInput(f"Arguments are not JSON: {error}")
            invalid.code = "invalid_arguments"
            raise invalid from error
        headers = {} if content is None else {"Content-Type": "application/json"}
        request_id = next_request_id()
        if request_id is not None:
            headers["X-Request-ID"] = request_id
        try:
            response = await self._http.request(method, path, content=content, headers=headers)
        except httpx.TimeoutException as error:
            raise ServerTimeout(f"Groundwork did not answer {method} {path} within "
                                f"{self.timeout} s.") from error
        except httpx.RequestError as error:
            raise ServerUnreachable(f"Could not reach Groundwork at {self.base_url}: "
                                    f"{error!r}") from error
        return response_body(response)


def response_body(response: httpx.Response) -> JsonObject:
    """Decode a server response into its JSON object, or raise the error it carries.

    Raises:
        GroundworkError: the subclass matching the error's ``code`` (else its
            status), carrying the server's code, message, details and status.
        InvalidResponse: the body is not a JSON object.
    """
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    status = response.status_code
    if response.is_success:
        if isinstance(body, dict):
            return body
        raise _received(InvalidResponse("Groundwork answered with no JSON object."), status)
    error = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(error, dict) and "code" in error):
        failure = GroundworkError(f"Groundwork answered {status} {response.reason_phrase}.")
        failure.code = f"http_{status}"
        raise _received(failure, status)
    raise _received(error_from_body(error, status), status)


def error_from_body(error: Mapping[str, Any], status: int) -> GroundworkError:
    """Rebuild the exception a server rendered as ``{"error": error}`` with ``status``."""
    code = str(error["code"])
    kind = _BY_CODE.get(code) or _BY_STATUS.get(status) or GroundworkError
    exception = kind(str(error.get("message", "")))
    details = error.get("details")
    exception.details = dict(details) if isinstance(details, dict) else {}
    exception.code = code
    exception.status_code = status
    return exception


def _item(entry: Mapping[str, Any], endpoint: str, trace_id: str) -> Result | GroundworkError:
    """One item of a batch answer: its result, or the exception its own call would raise."""
    error = entry.get("error")
    if error is not None:
        status = int(entry["status"])
        return _received(error_from_body(error, status), status)
    return Result.from_json({**entry, "endpoint": endpoint, "trace_id": trace_id}, endpoint)


def _received(error: GroundworkError, status: int) -> GroundworkError:
    error.http_status = status
    return error
