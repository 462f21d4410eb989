"""`groundwork infra generate`: per-view Terraform inputs named as the stores name things."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from groundwork import infra
from groundwork.errors import DefinitionError
from groundwork.features.registry import load_view_specs
from groundwork.features.spec import ViewSpec
from groundwork.sync.base import OnlineRow
from groundwork.sync.config import CosmosStoreConfig
from groundwork.sync.cosmos import CosmosStore
from groundwork.sync.dynamodb_items import to_item
from tests.unit.infra.hcl import ENVS

VIEWS = load_view_specs(Path("feature_tables"))


def cosmos_store(prefix: str) -> CosmosStore:
    """A Cosmos DB store that is never opened: only its naming is used."""
    return CosmosStore(CosmosStoreConfig(endpoint="https://account.documents.azure.com",
                                         key=SecretStr("unused"), container_prefix=prefix))


def test_committed_inputs_are_up_to_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(infra.app, ["generate", "--out-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    for cloud in ("aws", "azure"):
        fresh = (tmp_path / cloud / infra.INPUTS_FILE).read_text()
        committed = (ENVS / cloud / infra.INPUTS_FILE).read_text()
        assert committed == fresh, (
            f"infra/envs/{cloud}/{infra.INPUTS_FILE} is stale: run `groundwork infra generate`"
        )


def test_every_view_gets_a_table_and_a_container(tmp_path: Path) -> None:
    infra.write_inputs(VIEWS, tmp_path, table_prefix="gw", container_prefix="fv-")

    aws = json.loads((tmp_path / "aws" / infra.INPUTS_FILE).read_text())
    azure = json.loads((tmp_path / "azure" / infra.INPUTS_FILE).read_text())
    assert set(aws["feature_views"]) == set(azure["feature_views"]) == set(VIEWS)
    assert aws["table_prefix"] == "gw" and azure["container_prefix"] == "fv-"
    for name, view in VIEWS.items():
        assert aws["feature_views"][name] == {
            "table_name": f"gw_{name}", "entity_key": view.entity, "partition_key": "entity_key",
            "partition_key_type": "S", "ttl_attribute": "expires_at",
            "ttl_seconds": view.ttl_seconds,
        }
        assert azure["feature_views"][name] == {
            "container_name": f"fv-{name}", "entity_key": view.entity,
            "partition_key_path": "/pk", "default_ttl": -1, "ttl_seconds": view.ttl_seconds,
        }


@pytest.mark.parametrize("prefix", ["", "groundwork_", "prod-"])
def test_container_names_match_the_cosmos_store(prefix: str) -> None:
    store = cosmos_store(prefix)

    for view in VIEWS.values():
        assert infra.container_name(prefix, view) == store._container_name(view)


def test_ttl_attribute_is_the_one_the_dynamodb_store_writes() -> None:
    view = VIEWS["hotel_prices"]
    event_ts = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    row = OnlineRow(key=7, values={name: None for name in view.feature_names},
                    event_ts=event_ts, expires_at=event_ts + dt.timedelta(days=1))

    item = to_item(view, row, synced_at=0)

    (table,) = [infra.aws_inputs({view.name: view}, "gw")["feature_views"][view.name]]
    assert table["ttl_attribute"] in item
    assert table["partition_key"] in item
    assert next(iter(item[table["partition_key"]])) == table["partition_key_type"]


def test_a_view_without_ttl_has_no_ttl() -> None:
    view = ViewSpec("scores", "player_id", VIEWS["user_profile"].entity_type, (), None)

    aws = infra.aws_inputs({"scores": view}, "gw")["feature_views"]["scores"]
    azure = infra.azure_inputs({"scores": view}, "")["feature_views"]["scores"]

    assert aws["ttl_seconds"] is None and azure["ttl_seconds"] is None
    assert azure["default_ttl"] == -1  # per-item ttl -1: never expires


def test_invalid_prefix_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        infra.app, ["generate", "--out-dir", str(tmp_path), "--table-prefix", "no spaces"]
    )

    assert result.exit_code == 2
    assert not (tmp_path / "aws").exists()


def test_invalid_container_name_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError):
        infra.container_name("x" * 255, VIEWS["user_profile"])
