"""The catalog commands, run with typer's CliRunner against a SQLite catalog in a temp state dir."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from groundwork.catalog.audit import AuditEvent, AuditSink
from groundwork.catalog.definitions import EndpointRecord, FunctionRecord
from groundwork.catalog.lineage import job_edges
from groundwork.catalog.policy import GranteeKind, ObjectType, Privilege
from groundwork.catalog.store import Catalog, open_catalog
from groundwork.catalog_cli import catalog_app, parse_duration, parse_entities, parse_moment
from groundwork.dag.spec import EndpointSpec, Input, Lookup
from groundwork.errors import InvalidInput
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.settings import Settings
from groundwork.sync.state import SyncStatus
from tests.support.entities import register_entity_views


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


Invoke = Callable[..., Result]


def build_prices() -> None:
    """Stands for the Spark job of ``hotel_prices``."""


build_prices.__module__ = "groundwork.features.jobs.hotel_prices"


def total_price(nightly_price: float | None, nights: int) -> float:
    """Price of the stay."""
    return (nightly_price or 0.0) * nights


HOTEL_OFFERS = EndpointSpec(
    "hotel_offers", "Offers.", (Input("hotel_id", int), Input("nights", int)),
    (Lookup("hotel_prices", "hotel_id"),), (total_price,), ("total_price",),
)
"""The endpoint the lineage command compiles (its DAG gives the function → view edges)."""


@pytest.fixture
def invoke(state_dir: Path) -> Invoke:
    runner = CliRunner()
    with open_catalog(f"sqlite:///{state_dir / 'catalog.db'}") as catalog:
        register_entity_views(catalog)

    def run(*arguments: str, input: str | None = None) -> Result:
        return runner.invoke(catalog_app((HOTEL_OFFERS,)), list(arguments), input=input,
                             env={"GROUNDWORK_STATE_DIR": str(state_dir), "COLUMNS": "200",
                                  "GROUNDWORK_CATALOG_URL": None})

    return run


def catalog_of(state_dir: Path) -> Catalog:
    return Catalog(f"sqlite:///{state_dir / 'catalog.db'}")


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def test_principals_groups_and_grants(invoke: Invoke, state_dir: Path) -> None:
    assert "created agent planner" in ok(invoke("principal", "create", "planner", "--kind",
                                                "agent", "--group", "agents"))
    ok(invoke("principal", "create", "alice"))
    ok(invoke("group", "add", "analysts", "alice", "planner"))
    ok(invoke("group", "remove", "analysts", "planner"))
    granted = ok(invoke("grant", "EXECUTE", "endpoint", "hotel_*", "--to", "agents", "--group",
                        "--where", "user_id=$claims.user_id"))
    ok(invoke("grant", "read", "feature_view", "*", "--to", "alice"))

    assert "granted EXECUTE on endpoint hotel_* to group agents where user_id=$claims.user_id" \
        in granted
    listing = ok(invoke("principal", "list"))
    assert "planner" in listing and "agents" in listing and "alice" in listing
    groups = ok(invoke("group", "list"))
    assert "analysts" in groups and "agents" in groups
    assert "user_id=$claims.user_id" in ok(invoke("grants", "--object", "hotel_offers"))
    catalog = catalog_of(state_dir)
    assert catalog.get_principal("alice").groups == {"analysts"}
    assert catalog.list_grants(grantee="alice")[0].privilege is Privilege.READ

    assert "revoked" in ok(invoke("revoke", "EXECUTE", "endpoint", "hotel_*", "--from", "agents",
                                  "--group"))
    assert catalog.list_grants(grantee_kind=GranteeKind.GROUP) == []
    ok(invoke("principal", "disable", "planner"))
    assert catalog.get_principal("planner").disabled
    ok(invoke("principal", "disable", "planner", "--enable"))
    assert not catalog.get_principal("planner").disabled
    catalog.dispose()


def test_a_token_is_printed_once_and_bound_to_an_entity(invoke: Invoke, state_dir: Path) -> None:
    ok(invoke("principal", "create", "planner", "--kind", "agent"))

    created = invoke("token", "create", "planner", "--expires-in", "7d",
                     "--on-behalf-of", "user_id=42", "--description", "demo")

    token = ok(created).strip()
    assert token.startswith("gw_") and "\n" not in token
    assert "not shown again" in created.stderr
    catalog = catalog_of(state_dir)
    principal = catalog.authenticate(token)
    assert principal.entity_filter == {"user_id": 42}
    [record] = catalog.list_tokens("planner")
    assert dt.timedelta(days=6, hours=23) < record.expires_at - dt.datetime.now(dt.UTC)
    listing = ok(invoke("token", "list", "planner"))
    assert record.token_id in listing and "user_id=42" in listing and token not in listing
    ok(invoke("token", "revoke", record.token_id))
    assert "revoked" in ok(invoke("token", "list"))
    assert record.token_id not in ok(invoke("token", "list", "--active"))
    catalog.dispose()


def test_errors_are_one_red_line_and_exit_2(invoke: Invoke) -> None:
    for arguments in (("token", "create", "nobody"),
                      ("principal", "create", "bad name"),
                      ("lineage", "nowhere"),
                      ("audit", "--since", "yesterday"),
                      ("token", "create", "nobody", "--expires-in", "soon")):
        result = invoke(*arguments)
        assert result.exit_code == 2, arguments
        assert result.stderr.startswith("error: ") and "Traceback" not in result.output


def test_a_binding_on_an_unknown_entity_key_names_the_valid_keys(invoke: Invoke) -> None:
    ok(invoke("principal", "create", "planner", "--kind", "agent"))
    for arguments in (("token", "create", "planner", "--on-behalf-of", "userid=42"),
                      ("grant", "EXECUTE", "endpoint", "*", "--to", "planner",
                       "--where", "User_Id=42")):
        result = invoke(*arguments)
        assert result.exit_code == 2, arguments
        assert result.stderr.startswith("error: ") and "Traceback" not in result.output
        assert "valid keys: ['city', 'hotel_id', 'user_id']" in " ".join(result.stderr.split())
    assert "planner" not in ok(invoke("token", "list"))


def test_audit_shows_filtered_events_with_a_next_page(invoke: Invoke, state_dir: Path) -> None:
    ok(invoke("principal", "list"))
    catalog = catalog_of(state_dir)
    now = dt.datetime.now(dt.UTC)
    calls = [(minutes, "planner", "hotel_offers", f"call {minutes}") for minutes in range(1, 6)]
    catalog.record_audit([
        AuditEvent(ts=now - dt.timedelta(minutes=minutes), principal=principal,
                   object_type=ObjectType.ENDPOINT, object_name=name,
                   privilege=Privilege.EXECUTE, allowed=minutes != 3, reason=reason,
                   status_code=200 if minutes != 3 else 403, latency_ms=1.25)
        for minutes, principal, name, reason in [*calls, (3 * 24 * 60, "old", "x", "long ago")]
    ])
    catalog.dispose()

    denied = ok(invoke("audit", "--denied"))
    assert "call 3" in denied and "call 1" not in denied and "denied" in denied
    recent = ok(invoke("audit", "--since", "1d", "--limit", "2", "--object", "hotel_offers"))
    assert "call 1" in recent and "call 2" in recent and "call 4" not in recent
    cursor = recent.split("--cursor ")[1].split()[0]
    following = ok(invoke("audit", "--since", "1d", "--limit", "2", "--cursor", cursor))
    assert "call 3" in following and "call 4" in following and "call 2" not in following
    assert "long ago" in ok(invoke("audit", "--principal", "old"))


def test_audit_ship_and_audit_move_spooled_events_into_the_catalog(
    invoke: Invoke, state_dir: Path
) -> None:
    ok(invoke("principal", "list"))
    catalog = catalog_of(state_dir)
    spool = Settings(state_dir=state_dir).audit_spool_dir
    sink = AuditSink(catalog.spool_files, spool_dir=spool)

    def spool_calls(*reasons: str) -> None:
        for reason in reasons:
            sink.record("planner", ObjectType.ENDPOINT, "hotel_offers", Privilege.EXECUTE,
                        True, reason, 200, 0.5, "trace")
        sink.seal()  # as a killed server leaves its file

    spool_calls("first", "second")
    assert "shipped 2 audit events (0 reduced, 0 dropped); 1 spool files done" in ok(
        invoke("audit", "ship", "--once"))
    spool_calls("spooled later")
    listed = ok(invoke("audit", "--object", "hotel_offers"))  # ships before it reads
    catalog.dispose()

    assert all(reason in listed for reason in ("first", "second", "spooled later"))
    assert list(spool.iterdir()) == []


def test_lineage_in_three_formats(invoke: Invoke, state_dir: Path) -> None:
    ok(invoke("principal", "list"))
    catalog = catalog_of(state_dir)
    catalog.register_feature_view(ViewSpec(
        name="hotel_prices", entity="hotel_id", entity_type=ValueType.INT,
        features=(FeatureSpec("nightly_price", ValueType.FLOAT),), ttl_seconds=None))
    catalog.register_function(FunctionRecord("total_price", "groundwork.functions.travel",
                                             {"nightly_price": "float", "nights": "int"}, "float"))
    catalog.register_endpoint(EndpointRecord("hotel_offers", "Offers.", {}, {},
                                             ("hotel_prices",), ("total_price",)))
    catalog.record_lineage(job_edges({"hotel_prices": build_prices}, {"hotel_prices": ["prices"]}))
    now = dt.datetime.now(dt.UTC)
    catalog.record_sync_run(view="hotel_prices", store="primary:sqlite", started_at=now,
                            finished_at=now, watermark=now, status=SyncStatus.SUCCEEDED)
    catalog.dispose()

    text = ok(invoke("lineage", "hotel_offers"))
    dot = ok(invoke("lineage", "hotel_offers", "--format", "dot"))
    mermaid = ok(invoke("lineage", "hotel_offers", "--format", "mermaid"))

    assert text.splitlines()[:3] == ["endpoint hotel_offers", "└── function total_price",
                                     "    └── feature view hotel_prices"]
    assert "raw dataset prices" in text and "online store primary:sqlite" in text
    assert dot.startswith("digraph lineage {") and '-> "dataset:prices"' in dot
    assert mermaid.startswith("flowchart LR") and (
        "Spark job: groundwork.features.jobs.hotel_prices" in mermaid)


def test_parsers() -> None:
    assert parse_duration("90") == parse_duration("90s") == dt.timedelta(seconds=90)
    assert parse_duration("2w") == dt.timedelta(days=14)
    assert parse_entities(["user_id=42", "city=Lisbon", "x=$claims.y"]) == {
        "user_id": 42, "city": "Lisbon", "x": "$claims.y"}
    assert parse_entities(None) is None
    assert parse_moment("2030-01-01T00:00") == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    before = dt.datetime.now(dt.UTC)
    hour_ago = parse_moment("1h")
    assert dt.timedelta(0) <= hour_ago - (before - dt.timedelta(hours=1)) < dt.timedelta(seconds=5)
    for bad in (lambda: parse_duration("1y"), lambda: parse_entities(["user_id"]),
                lambda: parse_moment("tomorrow")):
        with pytest.raises(InvalidInput):
            bad()
