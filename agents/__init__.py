"""Agents over Groundwork endpoints: LangChain tools and the travel-planner agent.

``langchain_tools(client)`` (and ``langchain_tools_async``) need the ``langchain``
extra; importing this package does not, so it loads without LangChain installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from groundwork.extras import from_import_error

if TYPE_CHECKING:
    from groundwork.agents.langchain_toolkit import langchain_tools, langchain_tools_async

__all__ = ["langchain_tools", "langchain_tools_async"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        try:
            from groundwork.agents import langchain_toolkit
        except ModuleNotFoundError as error:
            missing = from_import_error(error, f"groundwork.agents.{name}")
            if missing is None:
                raise
            raise missing from error
        return getattr(langchain_toolkit, name)
    raise AttributeError(f"module 'groundwork.agents' has no attribute {name!r}")
