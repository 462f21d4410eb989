"""The container's health check: ``python -m groundwork.healthcheck``.

Asks the server of this container (``GROUNDWORK_PORT``, on loopback) for
``/healthz`` and exits 0 when it answers 200, 1 otherwise. It uses only the
standard library and the settings, so a check costs a fraction of a second.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from groundwork.settings import Settings


def healthy(port: int, timeout: float = 2.0) -> bool:
    """Whether ``GET http://127.0.0.1:<port>/healthz`` answers 200 within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main() -> None:
    """Exit 0 when the local server is healthy, else 1."""
    sys.exit(0 if healthy(Settings().port) else 1)


if __name__ == "__main__":
    main()
