"""Definitions the catalog registers: functions and endpoints, as plain records.

Feature views are registered as :class:`groundwork.features.spec.ViewSpec`;
functions and endpoints as the frozen records below, independent of the ORM.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from groundwork.errors import DefinitionError


@dataclass(frozen=True, slots=True)
class FunctionRecord:
    """A registered function: where it lives and its typed signature.

    Attributes:
        name: Function name, which is also its node name in endpoint DAGs.
        module: Dotted path of the module that defines it.
        parameters: Parameter name to type string, in declaration order.
        returns: Type string of the return value.
        description: The docstring, which becomes the tool description.
    """

    name: str
    module: str
    parameters: Mapping[str, str]
    returns: str
    description: str = ""

    @classmethod
    def from_callable(cls, function: Callable[..., Any]) -> FunctionRecord:
        """Describe a typed Python function.

        Raises:
            DefinitionError: when a parameter or the return value has no type hint.
        """
        hints = typing.get_type_hints(function)
        parameters = {}
        for name in inspect.signature(function).parameters:
            if name not in hints:
                raise DefinitionError(
                    f"function {function.__name__!r} has no type hint for parameter {name!r}",
                    function=function.__name__,
                    parameter=name,
                )
            parameters[name] = type_string(hints[name])
        if "return" not in hints:
            raise DefinitionError(
                f"function {function.__name__!r} has no return type hint",
                function=function.__name__,
            )
        return cls(
            name=function.__name__,
            module=function.__module__,
            parameters=parameters,
            returns=type_string(hints["return"]),
            description=inspect.getdoc(function) or "",
        )


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    """A registered endpoint.

    Attributes:
        name: Endpoint name (the REST path segment and the tool name).
        description: Human description (becomes the tool description).
        input_schema: JSON Schema of the request body.
        output_schema: JSON Schema of the response body.
        feature_views: Names of the feature views it reads.
        functions: Names of the functions it runs.
    """

    name: str
    description: str
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any]
    feature_views: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()


def type_string(annotation: Any) -> str:
    """A readable type string: ``int``, ``list[str]``, ``datetime.date | None``."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        if annotation.__module__ == "builtins":
            return annotation.__qualname__
        return f"{annotation.__module__}.{annotation.__qualname__}"
    return str(annotation).replace("typing.", "")
