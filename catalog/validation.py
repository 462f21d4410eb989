"""Checks on the values the catalog is given: names, enum members, page sizes, times.

Pure functions: each returns the checked value or raises :class:`InvalidInput`
naming the field, so the policy rules and the SQL side refuse bad input alike.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import TypeVar, overload

from groundwork.errors import InvalidInput

MemberType = TypeVar("MemberType", bound=StrEnum)

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.@:-]{0,199}"
"""What an object name (principal, group, endpoint...) looks like."""
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The integers the catalog stores: what SQL ``BIGINT`` and the JSON encoder hold."""

_NAME_PATTERN = re.compile(NAME_PATTERN)


def require_name(value: str, what: str) -> str:
    """Check that ``value`` is a usable object name and return it.

    Raises:
        InvalidInput: when the name is empty, too long or holds unusual characters.
    """
    if not _NAME_PATTERN.fullmatch(value):
        raise InvalidInput(
            f"invalid {what} name {value!r}: use letters, digits and _ . @ : - "
            "(at most 200, starting with a letter or digit)",
            field=what,
        )
    return value


def require_member(enum_class: type[MemberType], value: str, field: str) -> MemberType:
    """Coerce ``value`` (a member or its text value) into ``enum_class``.

    Raises:
        InvalidInput: when it is not one of the enum's values.
    """
    try:
        return enum_class(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_class)
        raise InvalidInput(f"invalid {field} {value!r}; use {allowed}", field=field) from None


def require_positive(limit: int) -> None:
    """Check that a page size is at least 1.

    Raises:
        InvalidInput: when ``limit`` is below 1.
    """
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}", field="limit")


def is_int64(value: object) -> bool:
    """Whether ``value`` is an ``int`` (not a bool) that fits in 64 bits."""
    return (isinstance(value, int) and not isinstance(value, bool)
            and INT64_MIN <= value <= INT64_MAX)


@overload
def to_utc(value: dt.datetime, field: str) -> dt.datetime: ...
@overload
def to_utc(value: None, field: str) -> None: ...
@overload
def to_utc(value: dt.datetime | None, field: str) -> dt.datetime | None: ...


def to_utc(value: dt.datetime | None, field: str) -> dt.datetime | None:
    """Return ``value`` in UTC, refusing naive datetimes (their meaning depends on the machine).

    Raises:
        InvalidInput: when ``value`` has no time zone, or is out of range in UTC
            (``0001-01-01T00:00+01:00``).
    """
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidInput(f"{field} must be a timezone-aware datetime", field=field)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise InvalidInput(f"{field} is out of range", field=field) from None
