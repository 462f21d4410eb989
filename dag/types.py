"""Static type compatibility between a node's type and the parameter it feeds."""

from __future__ import annotations

import types
import typing
from typing import Any

_NONE = type(None)


def members(annotation: Any) -> tuple[Any, ...]:
    """The members of a union type (a non-union is its own single member)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(annotation)
    return (annotation,)


def _bare(annotation: Any) -> Any:
    """``annotation`` without ``Annotated`` metadata (constraints bind inputs, not types)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _member_accepts(accepted: Any, produced: Any) -> bool:
    accepted, produced = _bare(accepted), _bare(produced)
    if accepted is Any or accepted == produced:
        return True
    if accepted is float and produced is int:
        return True
    accepted_origin, produced_origin = typing.get_origin(accepted), typing.get_origin(produced)
    if accepted_origin is list and produced_origin is list:
        (accepted_item,) = typing.get_args(accepted) or (Any,)
        (produced_item,) = typing.get_args(produced) or (Any,)
        return accepts(accepted_item, produced_item)
    return False


def accepts(accepted: Any, produced: Any) -> bool:
    """True when every value of type ``produced`` is a valid value of type ``accepted``."""
    accepted_members = members(accepted)
    return all(
        any(_member_accepts(candidate, member) for candidate in accepted_members)
        for member in members(produced)
    )


def optional(annotation: Any) -> Any:
    """``annotation | None`` (unchanged when it already admits ``None``)."""
    if _NONE in members(annotation):
        return annotation
    return annotation | None


def type_name(annotation: Any) -> str:
    """Readable name of a type for error messages."""
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return repr(annotation).replace("typing.", "").replace("datetime.", "")
