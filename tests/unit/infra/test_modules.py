"""The Terraform code consumes the generated inputs as the stores expect, and is documented.

These tests parse the HCL (python-hcl2); they need no terraform binary. The
binary's own checks (fmt, validate, apply) are in tests/integration/test_terraform.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from groundwork.features.registry import load_view_specs
from groundwork.settings import Settings
from tests.unit.infra.hcl import (
    ENVS,
    MODULES,
    generated_inputs,
    labelled,
    load_dir,
    locals_of,
    named,
    terraform_dirs,
)

VIEWS = load_view_specs(Path("feature_tables"))
EACH = "${each.value.%s}"


def only(blocks: dict[str, Any]) -> Any:
    """The single block of ``blocks``."""
    assert len(blocks) == 1, sorted(blocks)
    return next(iter(blocks.values()))


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` of a resource body."""
    (nested,) = body[name]
    return dict(nested)


def test_every_view_has_its_dynamodb_table() -> None:
    inputs = generated_inputs("aws")
    table = only(labelled(MODULES / "aws" / "dynamodb", "resource", "aws_dynamodb_table"))

    assert set(inputs["feature_views"]) == set(VIEWS)
    assert inputs["table_prefix"] == "groundwork"
    for name, view in VIEWS.items():
        entry = inputs["feature_views"][name]
        assert entry["table_name"] == f"{inputs['table_prefix']}_{name}"
        assert (entry["partition_key"], entry["partition_key_type"]) == ("entity_key", "S")
        assert entry["ttl_attribute"] == "expires_at"
        assert entry["ttl_seconds"] == view.ttl_seconds
    # ... and the module turns each entry into a table with exactly those settings.
    assert table["for_each"] == "${var.feature_views}"
    assert table["name"] == EACH % "table_name"
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["hash_key"] == EACH % "partition_key"
    assert block(table, "attribute") == {"name": EACH % "partition_key",
                                         "type": EACH % "partition_key_type"}
    ttl = block(table, "ttl")
    assert ttl["enabled"] == "${each.value.ttl_seconds != null}"
    assert "each.value.ttl_attribute" in ttl["attribute_name"]
    assert block(table, "point_in_time_recovery")["enabled"] == "${var.point_in_time_recovery}"
    assert block(table, "server_side_encryption") == {"enabled": True,
                                                      "kms_key_arn": "${var.kms_key_arn}"}


def test_every_view_has_its_cosmos_container() -> None:
    inputs = generated_inputs("azure")
    container = only(labelled(MODULES / "azure" / "cosmos", "resource",
                              "azurerm_cosmosdb_sql_container"))

    assert set(inputs["feature_views"]) == set(VIEWS)
    for name, view in VIEWS.items():
        entry = inputs["feature_views"][name]
        assert entry["container_name"] == f"{inputs['container_prefix']}{name}"
        assert entry["partition_key_path"] == "/pk"
        assert entry["default_ttl"] == -1
        assert entry["ttl_seconds"] == view.ttl_seconds
    assert container["for_each"] == "${var.feature_views}"
    assert container["name"] == EACH % "container_name"
    assert container["partition_key_paths"] == [EACH % "partition_key_path"]
    assert container["default_ttl"] == EACH % "default_ttl"


@pytest.mark.parametrize(("cloud", "module", "fields"), [
    ("aws", "dynamodb", ("table_name", "entity_key", "partition_key", "partition_key_type",
                         "ttl_attribute", "ttl_seconds")),
    ("azure", "cosmos", ("container_name", "entity_key", "partition_key_path", "default_ttl",
                         "ttl_seconds")),
])
def test_environments_pass_the_generated_views_to_the_store_module(
    cloud: str, module: str, fields: tuple[str, ...]
) -> None:
    call = named(ENVS / cloud, "module")[module]
    env_type = named(ENVS / cloud, "variable")["feature_views"]["type"]
    module_type = named(MODULES / cloud / module, "variable")["feature_views"]["type"]

    assert call["source"] == f"../../modules/{cloud}/{module}"
    assert call["feature_views"] == "${var.feature_views}"
    assert env_type == module_type
    for entry in generated_inputs(cloud)["feature_views"].values():
        assert tuple(entry) == fields
        assert all(f"{field} =" in env_type for field in fields)


@pytest.mark.parametrize("directory", terraform_dirs(), ids=lambda path: str(path.name))
def test_every_variable_and_output_is_described(directory: Path) -> None:
    undocumented = [
        f"{kind} {name}"
        for kind in ("variable", "output")
        for name, body in named(directory, kind).items()
        if not str(body.get("description", "")).strip()
    ]

    assert not undocumented, f"{directory}: {undocumented}"


@pytest.mark.parametrize(("cloud", "provider", "constraint"), [
    ("aws", "aws", "~> 5.0"), ("azure", "azurerm", "~> 4.0"),
])
def test_providers_are_pinned(cloud: str, provider: str, constraint: str) -> None:
    (terraform,) = load_dir(ENVS / cloud)["terraform"]
    (required,) = terraform["required_providers"]

    assert required[provider] == {"source": f"hashicorp/{provider}", "version": constraint}


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_outputs_name_real_settings(cloud: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env_locals = locals_of(ENVS / cloud)
    text = " ".join(str(env_locals[name]) for name in env_locals)
    names = sorted(set(re.findall(r"GROUNDWORK_[A-Z_]+(?:\$\{view\})?", text)))
    assert {"GROUNDWORK_STORE__TYPE", "GROUNDWORK_CATALOG_URL"} <= set(names)

    for variable in list(os.environ):
        if variable.startswith("GROUNDWORK_"):
            monkeypatch.delenv(variable)
    for name in names:
        value = _placeholder(name, text)
        monkeypatch.setenv(name.replace("${view}", "hotel_prices"), value)
        field = name.removeprefix("GROUNDWORK_").split("__")[0].lower()
        assert field in Settings.model_fields, f"{name} is not a Groundwork setting"

    settings = Settings()

    assert settings.environment == "production"
    assert settings.store.type == {"aws": "dynamodb", "azure": "cosmos"}[cloud]
    assert settings.stores["redis"].type == "redis"
    assert settings.view_stores == {"hotel_prices": "redis"}


def _placeholder(name: str, text: str) -> str:
    """The literal value ``name`` gets in ``text``, else a plausible stand-in."""
    literal = re.search(rf'{re.escape(name)}"? =>? "([^"$]*)"', text)
    if literal:
        return literal.group(1)
    stand_ins = {"URL": "rediss://cache.example:6380/0", "ENDPOINT": "https://a.example:443/",
                 "CATALOG_URL": "postgresql+psycopg://u:p@db.example/groundwork"}
    for suffix, value in stand_ins.items():
        if name.endswith(suffix):
            return value
    return "placeholder"
