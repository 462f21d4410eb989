"""The blocking client, derived from :class:`~groundwork.client.asynchronous.AsyncClient`.

Each method of :class:`Client` is the coroutine method of the same name of
``AsyncClient``, run to completion by :func:`blocking` on an event loop that the
client owns in a background thread. So there is one body per call, the
asynchronous one, and a blocking call works anywhere, even from code that runs
inside another event loop (a notebook, an async web handler).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from groundwork.client.asynchronous import AsyncClient

P = ParamSpec("P")
R = TypeVar("R")


class _LoopThread:
    """An event loop running in a daemon thread, until :meth:`stop`."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="groundwork-client", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, R]) -> R:
        """Run ``coroutine`` on the loop and wait for its result (or exception)."""
        future: Future[R] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result()

    def stop(self) -> None:
        """Stop the loop, wait for its thread, and close it."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


def blocking(
    method: Callable[Concatenate[AsyncClient, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Client, P], R]:
    """Derive a blocking :class:`Client` method from a coroutine method of ``AsyncClient``.

    The derived method takes the same arguments, returns what the coroutine
    returns and raises what it raises; its docstring is the coroutine's.
    """

    @functools.wraps(method)
    def call(self: Client, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.run(lambda client: method(client, *args, **kwargs))

    return call


class Client:
    """Blocking client of a Groundwork server: :class:`AsyncClient`'s calls, waited for.

    Close it (or use it in a ``with`` block) to stop its connection pool and thread.

    Args:
        base_url: Root URL of the server, e.g. ``http://127.0.0.1:8000``.
        token: Bearer token of the calling principal.
        timeout: Seconds to wait for connecting, reading or writing.
        headers: More headers sent with every request.
        transport: Transport to use instead of the network, e.g.
            ``httpx.ASGITransport(app=...)``.

    Example:
        >>> with Client("http://127.0.0.1:8000", token) as client:  # doctest: +SKIP
        ...     offers = client.invoke("hotel_offers", {"user_id": 42, "city": "Lisbon",
        ...                                             "check_in": "2026-12-04", "nights": 3})
        ...     offers["ranked_offers"][0], offers.freshness_of("hotel_prices")
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
        self._async = AsyncClient(base_url, token, timeout=timeout, headers=headers,
                                  transport=transport)
        self._loop = _LoopThread()
        self._closed = False

    @property
    def base_url(self) -> str:
        """Root URL of the server."""
        return self._async.base_url

    list_tools = blocking(AsyncClient.list_tools)
    invoke = blocking(AsyncClient.invoke)
    invoke_many = blocking(AsyncClient.invoke_many)

    def run(self, function: Callable[[AsyncClient], Coroutine[Any, Any, R]]) -> R:
        """Await ``function(async_client)`` on this client's loop and return its result.

        For code written once against :class:`AsyncClient` (a helper, an adapter)
        that blocking code needs as well; the client's own methods are built on it.
        """
        return self._loop.run(function(self._async))

    def close(self) -> None:
        """Close the connection pool and stop the client's thread; closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self._loop.run(self._async.aclose())
            self._loop.stop()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
