"""Typed errors raised while building an endpoint DAG; each names its culprit."""

from __future__ import annotations

from groundwork.errors import DefinitionError, GroundworkError


class MissingTypeHint(DefinitionError):
    """A function parameter or return value has no type hint."""

    code = "missing_type_hint"

    def __init__(self, function: str, parameter: str) -> None:
        super().__init__(
            f"function {function!r} has no type hint for {parameter!r}",
            function=function, parameter=parameter,
        )


class UnboundParameter(DefinitionError):
    """A function parameter matches no input, feature or function and has no default."""

    code = "unbound_parameter"

    def __init__(self, endpoint: str, function: str, parameter: str) -> None:
        super().__init__(
            f"endpoint {endpoint!r}: parameter {parameter!r} of function {function!r} is not "
            "bound to any input, feature or function",
            endpoint=endpoint, function=function, parameter=parameter,
        )


class TypeMismatch(DefinitionError):
    """A node's type is not accepted by the parameter it feeds."""

    code = "type_mismatch"

    def __init__(self, function: str, parameter: str, expected: str, produced: str) -> None:
        super().__init__(
            f"parameter {parameter!r} of function {function!r} expects {expected} "
            f"but node {parameter!r} produces {produced}",
            function=function, parameter=parameter, expected=expected, produced=produced,
        )


class DuplicateNode(DefinitionError):
    """Two inputs, features or functions of one endpoint share a name."""

    code = "duplicate_node"

    def __init__(self, endpoint: str, name: str, first: str, second: str) -> None:
        super().__init__(
            f"endpoint {endpoint!r}: node {name!r} is defined twice ({first} and {second})",
            endpoint=endpoint, node=name,
        )


class CycleDetected(DefinitionError):
    """The endpoint's nodes depend on each other in a cycle."""

    code = "cycle_detected"

    def __init__(self, endpoint: str, cycle: list[str]) -> None:
        super().__init__(
            f"endpoint {endpoint!r} has a cycle: {' -> '.join(cycle)}",
            endpoint=endpoint, cycle=cycle,
        )


class UnknownReference(DefinitionError):
    """An output, lookup key, view or feature names something that does not exist."""

    code = "unknown_reference"


class NodeFailed(GroundworkError):
    """A required function node raised while serving a request."""

    status_code = 500
    code = "node_failed"
