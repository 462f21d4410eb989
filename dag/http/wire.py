"""One send per response: uvicorn's HTTP protocol with its writes coalesced.

uvicorn writes a response's status line and headers when the app sends
``http.response.start`` and the body when it sends ``http.response.body``: two
``send()`` system calls, and two TCP segments for the client to wake up for,
for every small JSON answer. :class:`CoalescingProtocol` is uvicorn's own
httptools protocol (passed as ``uvicorn.run(http=...)``, its public option)
with a transport that gathers the writes made during one turn of the event
loop and sends them together at the end of it (``loop.call_soon``). Nothing is
held past that turn, so a streamed response, a ``100 Continue`` or a closing
connection goes out as soon as it would have; closing or aborting the
transport sends or drops what is gathered first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport whose writes of one event-loop turn leave as one ``write``.

    Every other attribute is the wrapped transport's own.

    Args:
        transport: The connection's transport.
        loop: The loop the connection runs on.
    """

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Gather ``data``; the first write of a turn schedules the send."""
        pending = self._pending
        if not pending:
            self._loop.call_soon(self.flush)
        pending.append(bytes(data) if not isinstance(data, bytes) else data)

    def writelines(self, lines: Any) -> None:
        """Gather each of ``lines``."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Send what was gathered, in one write (nothing once the transport closes)."""
        pending = self._pending
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        """Send what was gathered, then close."""
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        """Send what was gathered, then half-close."""
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        """Drop what was gathered and abort the connection."""
        self._pending.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        """The transport's buffered bytes plus the gathered ones."""
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing through a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Wrap the connection's transport, then let uvicorn take it."""
        wrapped = CoalescingTransport(transport, self.loop)
        super().connection_made(wrapped)  # type: ignore[arg-type]
