"""The rules that make an audit event storable: bounded texts, numbers in range, a reduced form."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from groundwork.catalog.events import (
    CHANNEL_LIMIT,
    NAME_LIMIT,
    AuditEvent,
    bounded_text,
    reduced_event,
    storable_event,
)
from groundwork.catalog.policy import ObjectType, Privilege
from groundwork.errors import InvalidInput

CALL = AuditEvent(ts=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), principal="planner",
                  object_type=ObjectType.ENDPOINT, object_name="user_profile",
                  privilege=Privilege.EXECUTE, allowed=True, reason="granted", status_code=200,
                  latency_ms=0.5, trace_id="t1", channel="rest")


def test_a_long_text_keeps_its_start_and_says_how_much_was_cut() -> None:
    assert bounded_text("n" * 300, NAME_LIMIT) == "n" * 193 + "…[+107]"
    assert len(bounded_text("t" * (1 << 20), 64)) <= 64
    assert bounded_text("c" * 40, CHANNEL_LIMIT) == "c" * 10 + "…[+30]"


@pytest.mark.parametrize(("value", "expected"), [
    ("user_profile", "user_profile"),
    ("a\x00b", "a\ufffdb"),
    ("bad \udcff byte", "bad \ufffd byte"),
    ("Zürich ✓", "Zürich ✓"),
    (None, ""),
    (42, "42"),
])
def test_texts_lose_only_what_a_dialect_refuses(value: object, expected: str) -> None:
    assert bounded_text(value, NAME_LIMIT) == expected


def test_bounding_twice_changes_nothing_more() -> None:
    once = bounded_text("x\x00" * 500, NAME_LIMIT)
    assert bounded_text(once, NAME_LIMIT) == once


def test_a_storable_event_has_numbers_in_range() -> None:
    wild = dataclasses.replace(CALL, status_code=2**70, latency_ms=math.nan)
    assert (storable_event(wild).status_code, storable_event(wild).latency_ms) == (0, -1.0)
    assert storable_event(CALL) == CALL


def test_an_unknown_object_type_or_privilege_is_refused() -> None:
    with pytest.raises(InvalidInput):
        storable_event(dataclasses.replace(CALL, object_type="bogus"))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        storable_event(dataclasses.replace(CALL, privilege="ALL"))  # type: ignore[arg-type]


def test_the_reduced_form_keeps_the_decision_and_no_free_text() -> None:
    refused = dataclasses.replace(CALL, ts=dt.datetime(2030, 1, 1), object_type="bogus",
                                  principal="p\x00", trace_id="t" * 100, channel="x" * 40,
                                  allowed=False, status_code=401)  # type: ignore[arg-type]

    assert reduced_event(refused, InvalidInput("naive")) == AuditEvent(
        ts=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), principal=None,
        object_type=ObjectType.ENDPOINT, object_name="unrecordable",
        privilege=Privilege.EXECUTE, allowed=False, reason="InvalidInput", status_code=401,
        latency_ms=0.5, trace_id="", channel="")
