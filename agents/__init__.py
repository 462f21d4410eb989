"""Agents over Groundwork endpoints: LangChain tools and the travel-planner agent.

``langchain_tools(client)`` (and ``langchain_tools_async``) need the ``langchain``
extra, ``mcp_tools(base_url, token)`` the ``mcp`` extra; importing this package
needs neither, so it loads without LangChain installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from groundwork.extras import from_import_error

if TYPE_CHECKING:
    from groundwork.agents.langchain_toolkit import langchain_tools, langchain_tools_async
    from groundwork.agents.mcp_toolkit import mcp_tools

__all__ = ["langchain_tools", "langchain_tools_async", "mcp_tools"]
_MODULES = {"langchain_tools": "langchain_toolkit", "langchain_tools_async": "langchain_toolkit",
            "mcp_tools": "mcp_toolkit"}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        try:
            module = importlib.import_module(f"groundwork.agents.{_MODULES[name]}")
        except ModuleNotFoundError as error:
            missing = from_import_error(error, f"groundwork.agents.{name}")
            if missing is None:
                raise
            raise missing from error
        return getattr(module, name)
    raise AttributeError(f"module 'groundwork.agents' has no attribute {name!r}")
