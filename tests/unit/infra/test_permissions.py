"""Least privilege: the serving tier can read the feature tables and write nothing.

Parsed from the HCL: the policies the serving role (AWS) and the serving identity
(Azure) are given, wherever in infra/ they are given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.unit.infra.hcl import ENVS, INFRA, MODULES, labelled, locals_of, named

IAM = MODULES / "aws" / "iam"
READ_ACTIONS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"}
DATA_READER = "00000000-0000-0000-0000-000000000001"
DATA_CONTRIBUTOR = "00000000-0000-0000-0000-000000000002"


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of an ``aws_iam_policy_document``."""
    return list(document.get("statement", []))


def directories() -> list[Path]:
    return sorted({path.parent for path in INFRA.rglob("*.tf")})


def grants_to(reference: str, resource_types: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """Every resource of ``resource_types`` in infra/ whose arguments mention ``reference``."""
    found = []
    for directory in directories():
        for resource_type in resource_types:
            for name, body in labelled(directory, "resource", resource_type).items():
                if reference in str(body):
                    found.append((f"{directory.relative_to(INFRA)}:{resource_type}.{name}", body))
    return found


def test_serving_role_has_one_policy_and_it_only_reads() -> None:
    policies = grants_to("aws_iam_role.serving", (
        "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy_attachment",
    ))
    documents = labelled(IAM, "data", "aws_iam_policy_document")

    assert [name for name, _ in policies] == ["modules/aws/iam:aws_iam_role_policy.serving"]
    assert policies[0][1]["policy"] == "${data.aws_iam_policy_document.serving.json}"
    (statement,) = statements(documents["serving"])
    assert statement.get("effect", "Allow") == "Allow"
    assert set(statement["actions"]) == READ_ACTIONS
    assert statement["resources"] == "${local.table_arns}"
    assert locals_of(IAM)["table_arns"] == "${sort(values(var.table_arns))}"


def test_serving_task_runs_as_the_serving_role() -> None:
    call = named(ENVS / "aws", "module")["serving"]
    (task,) = labelled(MODULES / "aws" / "serving", "resource", "aws_ecs_task_definition").values()

    assert call["task_role_arn"] == "${module.iam.serving_role_arn}"
    assert task["task_role_arn"] == "${var.task_role_arn}"
    assert named(ENVS / "aws", "module")["iam"]["table_arns"] == "${module.dynamodb.table_arns}"


def test_sync_role_writes_the_feature_tables_and_nothing_else_in_dynamodb() -> None:
    documents = labelled(IAM, "data", "aws_iam_policy_document")
    dynamodb = [s for s in statements(documents["sync"])
                if any(action.startswith("dynamodb:") for action in s["actions"])]

    (statement,) = dynamodb
    assert {"dynamodb:PutItem", "dynamodb:DeleteItem"} <= set(statement["actions"])
    assert not {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Scan"} & set(
        statement["actions"])
    assert statement["resources"] == "${local.table_arns}"
    compute = statements(documents["compute"])
    assert not [a for s in compute for a in s["actions"] if a.startswith("dynamodb:")]


def test_no_wildcard_actions_or_resources_in_role_policies() -> None:
    for name, document in labelled(IAM, "data", "aws_iam_policy_document").items():
        for statement in statements(document):
            actions = statement.get("actions", [])
            assert not [action for action in actions if "*" in action], (name, actions)
            resources = statement.get("resources", [])
            assert "*" not in resources, (name, resources)


def test_serving_identity_only_reads_cosmos_db() -> None:
    cosmos = MODULES / "azure" / "cosmos"
    assignments = labelled(cosmos, "resource", "azurerm_cosmosdb_sql_role_assignment")
    roles = locals_of(cosmos)

    assert roles == {"data_reader": DATA_READER, "data_contributor": DATA_CONTRIBUTOR}
    serving = {name: body for name, body in assignments.items()
               if body["principal_id"] == "${var.serving_principal_id}"}
    assert list(serving) == ["serving_reads"]
    assert "local.data_reader" in serving["serving_reads"]["role_definition_id"]
    assert "local.data_contributor" in assignments["sync_writes"]["role_definition_id"]
    assert assignments["sync_writes"]["principal_id"] == "${var.sync_principal_id}"
    call = named(ENVS / "azure", "module")["cosmos"]
    assert call["serving_principal_id"] == "${module.identity.serving_principal_id}"
    assert call["sync_principal_id"] == "${module.identity.sync_principal_id}"


def test_serving_identity_gets_no_other_role_and_only_the_read_only_key() -> None:
    direct = grants_to("serving_principal_id", ("azurerm_role_assignment",))
    env = locals_of(ENVS / "azure")

    assert not direct, [name for name, _ in direct]
    readers = env["secret_readers"]
    serving_secrets = sorted(secret for secret, principals in readers.items()
                             if "serving" in str(principals))
    assert serving_secrets == ["catalog-url", "cosmos-read-only-key", "redis-password"]
    assert "cosmos-read-only-key" in env["serving_secrets"]["GROUNDWORK_STORE__KEY"]
    assert "cosmos-read-write-key" in env["sync_secrets"]
