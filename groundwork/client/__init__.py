"""The public client of a Groundwork server: :class:`Client` and :class:`AsyncClient`.

Both call the same REST API (``GET /v1/tools``, ``POST /v1/endpoints/{name}/invoke``,
``POST /v1/endpoints/{name}/invoke-many``)
and return :class:`Result` objects whose :class:`Freshness` entries say, per
entity, whether the features were PRESENT, MISSING or EXPIRED and how old they
were. Failures are exceptions of :mod:`groundwork.errors`.
"""

from groundwork.client.asynchronous import AsyncClient
from groundwork.client.blocking import Client
from groundwork.client.results import Freshness, FreshnessStatus, Result, ToolSpec

__all__ = ["AsyncClient", "Client", "Freshness", "FreshnessStatus", "Result", "ToolSpec"]
