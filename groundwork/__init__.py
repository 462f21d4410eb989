"""Groundwork: features and typed functions served to GenAI applications as governed endpoints.

The public API, importable from here at no cost (each name is loaded on first use)::

    from groundwork import Client, AsyncClient, Result, Freshness, FreshnessStatus
    from groundwork import GroundworkError, NotAuthenticated, AccessDenied, NotFound
    from groundwork import InvalidInput, Unavailable

Importing ``groundwork`` loads neither the server (FastAPI) nor Feast nor Spark.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from groundwork.client import AsyncClient, Client, Freshness, FreshnessStatus, Result, ToolSpec
    from groundwork.errors import (
        AccessDenied,
        GroundworkError,
        InvalidInput,
        NotAuthenticated,
        NotFound,
        RateLimited,
        Unavailable,
    )

_EXPORTS = {
    **dict.fromkeys(("AsyncClient", "Client", "Freshness", "FreshnessStatus", "Result",
                     "ToolSpec"), "groundwork.client"),
    **dict.fromkeys(("GroundworkError", "NotAuthenticated", "AccessDenied", "NotFound",
                     "InvalidInput", "RateLimited", "Unavailable"), "groundwork.errors"),
}

__all__ = [
    "AccessDenied",
    "AsyncClient",
    "Client",
    "Freshness",
    "FreshnessStatus",
    "GroundworkError",
    "InvalidInput",
    "NotAuthenticated",
    "NotFound",
    "RateLimited",
    "Result",
    "ToolSpec",
    "Unavailable",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("groundwork")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'groundwork' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
