"""The optional dependency groups (extras) and one clear error when one is missing.

The core install serves endpoints from the embedded SQLite store. Everything
else is an extra of the ``groundwork`` distribution (see ``pyproject.toml``):
a command that needs one checks for it first and, when it is absent, fails
with one line naming what to install, e.g. ``pip install 'groundwork[spark]'``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

from groundwork.errors import MissingExtra

EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "spark": ("pyspark", "pyarrow", "pandas", "numpy"),
    "arrow": ("pyarrow",),
    "feast": ("feast",),
    "redis": ("redis", "hiredis"),
    "aws": ("aiobotocore", "botocore"),
    "azure": ("azure.cosmos", "aiohttp"),
    "postgres": ("psycopg",),
    "langchain": ("langchain", "langchain_core", "langgraph", "dateparser", "text_to_num",
                  "price_parser"),
    "mcp": ("langchain_mcp_adapters",),
    "granian": ("granian",),
}
"""Modules each extra provides, by extra name."""

STORE_EXTRAS: dict[str, str] = {"redis": "redis", "dynamodb": "aws", "cosmos": "azure"}
"""The extra each online store type needs (``sqlite`` needs none)."""


def installed(module: str) -> bool:
    """Whether ``module`` (dotted names allowed) can be imported."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def extra_of(module: str) -> str | None:
    """The extra that provides ``module`` (or its top-level package), if any."""
    for extra, modules in EXTRA_MODULES.items():
        if any(module == name or module.startswith(name + ".") or name.startswith(module + ".")
               for name in modules):
            return extra
    return None


def missing_extra(extras: Iterable[str], needed_by: str) -> MissingExtra:
    """The error saying that ``needed_by`` needs ``extras`` and how to install them."""
    names = list(dict.fromkeys(extras))
    which = (f"the {names[0]} extra" if len(names) == 1
             else f"the {', '.join(names[:-1])} and {names[-1]} extras")
    return MissingExtra(f"{needed_by} needs {which}: pip install 'groundwork[{','.join(names)}]'",
                        extras=names)


def require(*extras: str, needed_by: str) -> None:
    """Check that every module of ``extras`` is installed.

    Raises:
        MissingExtra: naming every missing extra at once.
    """
    missing = [extra for extra in extras
               if not all(installed(module) for module in EXTRA_MODULES[extra])]
    if missing:
        raise missing_extra(missing, needed_by)


def from_import_error(error: ModuleNotFoundError, needed_by: str) -> MissingExtra | None:
    """The :class:`MissingExtra` behind a failed import, or ``None`` when no extra provides it."""
    extra = extra_of(error.name or "")
    return None if extra is None else missing_extra([extra], needed_by)
