"""``groundwork infra``: Terraform inputs derived from the feature views.

``groundwork infra generate`` writes one ``views.auto.tfvars.json`` per cloud
environment (``infra/envs/aws``, ``infra/envs/azure``). Terraform loads such
files by itself, so the DynamoDB tables and Cosmos DB containers it creates are
named, keyed and expired exactly as ``groundwork sync`` expects: the names come
from the same functions and constants the stores use (``sync/dynamodb_items.py``,
``sync/cosmos_items.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from groundwork.errors import DefinitionError
from groundwork.extras import require
from groundwork.features.spec import ViewSpec
from groundwork.sync.config import CosmosStoreConfig, DynamoDBStoreConfig
from groundwork.sync.dynamodb_items import KEY, table_name

app = typer.Typer(no_args_is_help=True)

INPUTS_FILE = "views.auto.tfvars.json"
"""File Terraform loads automatically from an environment directory."""
DYNAMODB_KEY_TYPE = "S"
"""Attribute type of the partition key: ``groundwork.sync.codec.key_string`` gives a string."""
DYNAMODB_TTL_ATTRIBUTE = "expires_at"
"""Attribute DynamoDB expires items on (epoch seconds, ``sync.dynamodb_items.to_item``)."""
COSMOS_DEFAULT_TTL = -1
"""Container default TTL: on, no default, so each item's ``ttl`` decides (``sync/cosmos.py``)."""
_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_PREFIX = re.compile(r"^[A-Za-z0-9_-]*$")
"""Allowed prefixes, as in ``groundwork.sync.config`` (``table_prefix``, ``container_prefix``)."""


def container_name(prefix: str, view: ViewSpec) -> str:
    """The Cosmos DB container of ``view``: ``<prefix><view>`` (``sync.cosmos``).

    Raises:
        DefinitionError: when the name is not a valid container name.
    """
    name = f"{prefix}{view.name}"
    if not _CONTAINER_NAME.match(name):
        raise DefinitionError(f"{name!r} is not a valid container name", view=view.name)
    return name


def aws_inputs(views: Mapping[str, ViewSpec], table_prefix: str) -> dict[str, Any]:
    """Terraform inputs of ``infra/envs/aws``: one DynamoDB table per view."""
    return {
        "table_prefix": table_prefix,
        "feature_views": {
            view.name: {
                "table_name": table_name(table_prefix, view),
                "entity_key": view.entity,
                "partition_key": KEY,
                "partition_key_type": DYNAMODB_KEY_TYPE,
                "ttl_attribute": DYNAMODB_TTL_ATTRIBUTE,
                "ttl_seconds": view.ttl_seconds,
            }
            for view in views.values()
        },
    }


def azure_inputs(views: Mapping[str, ViewSpec], container_prefix: str) -> dict[str, Any]:
    """Terraform inputs of ``infra/envs/azure``: one Cosmos DB container per view."""
    from groundwork.sync.cosmos_items import PARTITION_PATH  # azure-cosmos: the azure extra

    return {
        "container_prefix": container_prefix,
        "feature_views": {
            view.name: {
                "container_name": container_name(container_prefix, view),
                "entity_key": view.entity,
                "partition_key_path": PARTITION_PATH,
                "default_ttl": COSMOS_DEFAULT_TTL,
                "ttl_seconds": view.ttl_seconds,
            }
            for view in views.values()
        },
    }


def write_inputs(
    views: Mapping[str, ViewSpec], out_dir: Path, *, table_prefix: str, container_prefix: str
) -> list[Path]:
    """Write ``<out_dir>/aws`` and ``<out_dir>/azure`` inputs; return the files written."""
    files = {
        out_dir / "aws" / INPUTS_FILE: aws_inputs(views, table_prefix),
        out_dir / "azure" / INPUTS_FILE: azure_inputs(views, container_prefix),
    }
    for path, inputs in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(inputs, indent=2) + "\n")
    return list(files)


@app.callback()
def infra_command() -> None:
    """Terraform inputs for the cloud deployment (infra/)."""


@app.command("generate")
def generate_command(
    out_dir: Annotated[Path, typer.Option(help="Directory holding the aws/ and azure/ "
                                          "environments.")] = Path("infra/envs"),
    table_prefix: Annotated[str, typer.Option(help="DynamoDB table prefix (GROUNDWORK_STORE__"
                                              "TABLE_PREFIX).")] = (
        DynamoDBStoreConfig.model_fields["table_prefix"].default
    ),
    container_prefix: Annotated[str, typer.Option(help="Cosmos DB container prefix "
                                                  "(GROUNDWORK_STORE__CONTAINER_PREFIX).")] = (
        CosmosStoreConfig.model_fields["container_prefix"].default
    ),
) -> None:
    """Write the per-view Terraform inputs (tables, containers, keys, TTLs) of each cloud."""
    for option, prefix in (("--table-prefix", table_prefix),
                           ("--container-prefix", container_prefix)):
        if not _PREFIX.match(prefix):
            raise typer.BadParameter("letters, digits, '_' and '-' only", param_hint=option)
    require("feast", "azure", needed_by="groundwork infra generate")
    from groundwork.features.registry import load_view_specs  # Feast: imported only when needed

    views = load_view_specs(Path("feature_tables"))  # names, keys, TTLs: the path is unused
    for path in write_inputs(views, out_dir, table_prefix=table_prefix,
                             container_prefix=container_prefix):
        typer.echo(f"wrote {path} ({len(views)} views)")
