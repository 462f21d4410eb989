"""A TCP server on 127.0.0.1 that accepts every connection and never answers.

It stands for a store that hangs: the client connects (the TCP handshake
succeeds), sends its request, and waits for a reply that never comes. Reads
are drained and dropped so the client's writes never block; every connection
stays open until the server stops.
"""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class BlackHole:
    """A listening socket served by one thread, which accepts and drains, never replying.

    Attributes:
        port: The port it listens on.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="black-hole", daemon=True)

    def start(self) -> BlackHole:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and the listener; wait for the thread to end."""
        self._wake_writer.send(b"x")
        self._thread.join()
        for connection in self._connections:
            connection.close()
        for endpoint in (self._listener, self._wake_reader, self._wake_writer):
            endpoint.close()
        self._selector.close()

    def _serve(self) -> None:
        while True:
            for key, _ in self._selector.select():
                endpoint = key.fileobj
                if endpoint is self._wake_reader:
                    return
                if endpoint is self._listener:
                    connection, _ = self._listener.accept()
                    connection.setblocking(False)
                    self._connections.append(connection)
                    self._selector.register(connection, selectors.EVENT_READ)
                    continue
                assert isinstance(endpoint, socket.socket)
                try:
                    data = endpoint.recv(65_536)
                except OSError:
                    data = b""
                if not data:  # the client closed: forget the connection
                    self._selector.unregister(endpoint)
                    endpoint.close()
                    self._connections.remove(endpoint)


@contextmanager
def black_hole() -> Iterator[int]:
    """A :class:`BlackHole` for the duration of the block; yields its port."""
    server = BlackHole().start()
    try:
        yield server.port
    finally:
        server.stop()
