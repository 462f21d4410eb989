"""The audit event, a page of them, and the rules that make an event storable.

Every text of an event is bounded to its column and cleaned of what a catalog
dialect refuses before it is inserted (:func:`storable_event`); an event the
catalog still refuses is stored in a reduced form (:func:`reduced_event`).
The sink that batches events is :mod:`groundwork.catalog.audit`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from groundwork.catalog.policy import ObjectType, Privilege
from groundwork.catalog.validation import require_member

NAME_LIMIT = 200
"""Most characters of a stored principal or object name (the columns' size)."""
TRACE_ID_LIMIT = 64
"""Most characters of a stored trace id (the column's size)."""
CHANNEL_LIMIT = 16
"""Most characters of a stored channel (the column's size)."""
REASON_LIMIT = 1_000
"""Most characters of a stored reason."""
UNRECORDABLE = "unrecordable"
"""Object name of the reduced form of an event that could not be stored whole."""

_REFUSED_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
"""NUL (PostgreSQL refuses it in text) and lone surrogates (not encodable as UTF-8)."""

Member = TypeVar("Member", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One guarded call: who asked for what, the decision and the outcome.

    Attributes:
        ts: When the call arrived (timezone-aware UTC).
        principal: Principal name; ``None`` when the caller was not authenticated.
        object_type: Type of the object called.
        object_name: Name of the object called.
        privilege: Privilege the call needed.
        allowed: Whether access was granted.
        reason: The decision's reason (or why authentication failed).
        status_code: HTTP status of the response.
        latency_ms: Time spent serving the call, in milliseconds.
        trace_id: Trace id of the request, for correlating with logs and traces.
        channel: The door the call came through: ``rest``, ``mcp`` or ``admin``.
    """

    ts: dt.datetime
    principal: str | None
    object_type: ObjectType
    object_name: str
    privilege: Privilege
    allowed: bool
    reason: str
    status_code: int
    latency_ms: float
    trace_id: str = ""
    channel: str = "rest"


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of audit events, newest first.

    Attributes:
        events: The events of this page.
        next_cursor: Opaque cursor of the next (older) page; ``None`` on the last page.
    """

    events: list[AuditEvent]
    next_cursor: str | None = None


def bounded_text(value: object, limit: int) -> str:
    """``value`` as text both catalog dialects store: at most ``limit`` characters, no NUL.

    A longer text keeps its start and ends with a marker saying how many
    characters were cut (``…[+299800]``); NUL and lone surrogates become U+FFFD.
    ``None`` becomes the empty text.
    """
    if type(value) is str and len(value) <= limit and value.isascii() and "\x00" not in value:
        return value  # the common case, first and cheap
    text = "" if value is None else value if type(value) is str else str(value)
    if len(text) > limit:
        room = limit - len(f"…[+{len(text)}]")
        text = text[:room] + f"…[+{len(text) - room}]" if room > 0 else text[:limit]
    if "\x00" in text or not text.isascii():
        text = _REFUSED_CHARACTERS.sub("\ufffd", text)
    return text


def storable_fields(event: AuditEvent) -> dict[str, Any]:
    """The fields of ``event`` by name, every text bounded and cleaned and every number in range.

    The timestamp is left as it is (the catalog refuses a naive one); the sink
    stores :func:`reduced_event` for an event refused here or by the database.

    Raises:
        InvalidInput: when the object type or the privilege is not a known member
            (stored, it would break every read of the audit log).
    """
    principal, object_type, privilege = event.principal, event.object_type, event.privilege
    return {
        "ts": event.ts,
        "principal": None if principal is None else bounded_text(principal, NAME_LIMIT),
        "object_type": object_type if type(object_type) is ObjectType
        else require_member(ObjectType, object_type, "object_type"),
        "object_name": bounded_text(event.object_name, NAME_LIMIT),
        "privilege": privilege if type(privilege) is Privilege
        else require_member(Privilege, privilege, "privilege"),
        "allowed": event.allowed is True,
        "reason": bounded_text(event.reason, REASON_LIMIT),
        "status_code": _status(event.status_code),
        "latency_ms": _latency(event.latency_ms),
        "trace_id": bounded_text(event.trace_id, TRACE_ID_LIMIT),
        "channel": bounded_text(event.channel, CHANNEL_LIMIT),
    }


def storable_event(event: AuditEvent) -> AuditEvent:
    """``event`` as :func:`storable_fields` makes it.

    Raises:
        InvalidInput: when the object type or the privilege is not a known member.
    """
    return AuditEvent(**storable_fields(event))


def reduced_event(event: AuditEvent, error: Exception) -> AuditEvent:
    """The safe form of an event the catalog refused: no free text but the error's class.

    Keeps the time, the decision, the status and the door (when they are well
    formed), so a refused call still shows in the log; the object is named
    :data:`UNRECORDABLE` and the reason is the class of the refusal.
    """
    channel = event.channel
    return AuditEvent(
        ts=_utc_time(event.ts),
        principal=None,
        object_type=_member(ObjectType, event.object_type, ObjectType.ENDPOINT),
        object_name=UNRECORDABLE,
        privilege=_member(Privilege, event.privilege, Privilege.EXECUTE),
        allowed=event.allowed is True,
        reason=bounded_text(type(error).__name__, NAME_LIMIT),
        status_code=_status(event.status_code),
        latency_ms=_latency(event.latency_ms),
        trace_id="",
        channel=channel if isinstance(channel, str) and channel.isascii()
        and channel.isalnum() and len(channel) <= CHANNEL_LIMIT else "",
    )


def _status(value: object) -> int:
    """An HTTP status, or 0 when ``value`` is not one."""
    return value if type(value) is int and 0 <= value <= 999 else 0


def _latency(value: object) -> float:
    """A finite, non-negative latency, or -1.0 (unknown)."""
    if type(value) is float and 0.0 <= value < math.inf:  # NaN compares false
        return value
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        return float(value)
    return -1.0


def _utc_time(value: object) -> dt.datetime:
    """``value`` in UTC (a naive one taken as UTC), or now when it is no usable time."""
    if isinstance(value, dt.datetime):
        try:
            aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
            return aware.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            pass
    return dt.datetime.now(dt.UTC)


def _member(enum_class: type[Member], value: object, default: Member) -> Member:
    """``value`` as a member of ``enum_class``, or ``default``."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return enum_class(value)
    return default
