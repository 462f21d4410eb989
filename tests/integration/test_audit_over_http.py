"""Audit through the real app on a PostgreSQL catalog: hostile calls are audited and block nothing.

Values PostgreSQL refuses as they arrive (a 300-character endpoint name, a NUL
in the path, a 100-character request id) reach the audit log bounded, and the
normal call behind them is stored whole.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from groundwork.catalog.audit import AuditEvent
from groundwork.catalog.events import NAME_LIMIT, TRACE_ID_LIMIT
from groundwork.catalog.policy import ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog
from groundwork.features.registry import load_view_specs
from groundwork.server import build_app
from groundwork.settings import Settings
from tests.support.demo_state import seed_store
from tests.support.postgres_server import PostgresServer

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def served(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, str]]:
    """A seeded state whose catalog is a new PostgreSQL database, and a token with EXECUTE."""
    url = postgres_server.create_database("groundwork_audit_http")
    settings = Settings(state_dir=Path(tmp_path_factory.mktemp("state")), catalog_url=url)
    asyncio.run(seed_store(settings, NOW, NOW.date()))
    catalog = Catalog(url)
    catalog.create_schema()
    for view in load_view_specs(settings.feature_tables_dir).values():
        catalog.register_feature_view(view)
    catalog.create_principal("planner", PrincipalKind.AGENT)
    catalog.grant("planner", Privilege.EXECUTE, ObjectType.ENDPOINT, "*")
    token = catalog.issue_token("planner").token
    catalog.dispose()
    yield settings, token
    postgres_server.drop_database(url)


def audit_log(settings: Settings) -> list[AuditEvent]:
    catalog = Catalog(settings.resolved_catalog_url)
    try:
        return catalog.audit_events(limit=100)
    finally:
        catalog.dispose()


def test_hostile_calls_are_audited_bounded_and_the_next_call_intact(
    served: tuple[Settings, str],
) -> None:
    settings, token = served
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(build_app(settings), raise_server_exceptions=False) as client:
        long_name = client.post(f"/v1/endpoints/{'a' * 300}/invoke", json={})
        nul_name = client.post("/v1/endpoints/a%00b/invoke", json={})
        long_trace = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                                 headers={**bearer, "X-Request-ID": "r" * 100})
        normal = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                             headers={**bearer, "X-Request-ID": "normal-call"})
        assert normal.status_code == 200, normal.text
        assert "groundwork_audit_pending_events" in client.get("/metrics").text
    # Leaving the client stops the app, and stopping writes every pending audit event.

    events = audit_log(settings)
    assert len(events) == 4
    (normal_event,) = [event for event in events if event.trace_id == "normal-call"]
    assert normal_event == AuditEvent(
        ts=normal_event.ts, principal="planner", object_type=ObjectType.ENDPOINT,
        object_name="user_profile", privilege=Privilege.EXECUTE, allowed=True,
        reason=normal_event.reason, status_code=200, latency_ms=normal_event.latency_ms,
        trace_id="normal-call", channel="rest")
    (long_name_event,) = [event for event in events if event.object_name.startswith("a" * 150)]
    assert len(long_name_event.object_name) <= NAME_LIMIT
    assert long_name_event.object_name.endswith("]") and "…[+" in long_name_event.object_name
    assert (long_name_event.principal, long_name_event.status_code) == (None,
                                                                         long_name.status_code)
    (nul_event,) = [event for event in events if event.object_name == "a\ufffdb"]
    assert (nul_event.principal, nul_event.status_code) == (None, nul_name.status_code)
    # The edge does not take a 100-character request id as the trace id: the call
    # gets a new one, which its answer and its audit event carry.
    served_trace = long_trace.json()["trace_id"]
    assert served_trace != "r" * 100
    (long_trace_event,) = [event for event in events if event.trace_id == served_trace]
    assert len(long_trace_event.trace_id) <= TRACE_ID_LIMIT
    assert long_trace_event.status_code == long_trace.status_code
    assert long_trace_event.principal == "planner"
