"""The wheel installed in fresh virtual environments: beside openai-agents, and as the image."""

from __future__ import annotations

import json
import tomllib

import httpx
import pytest

from tests.packaging.conftest import DOCKERFILE, ROOT, TOOLS, Environment, run
from tests.support.demo_state import DemoState

pytestmark = pytest.mark.packaging
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
CLIENT_CALL = """\
import json, sys
from groundwork import Client
with Client(sys.argv[1], sys.argv[2]) as client:
    result = client.invoke("user_profile", {"user_id": 42})
print(json.dumps({"budget": result["budget_per_night"], "status": result.freshness[0].status}))
"""


def test_groundwork_installs_beside_openai_agents(app_environment: Environment) -> None:
    probe = ("from agents import Agent, Runner\n"
             "import groundwork, groundwork.agents\n"
             "from groundwork.agents import langchain_tools\n"
             "print(groundwork.__file__, Agent.__module__)")
    location, agent_module = app_environment.python(probe).stdout.split()
    assert location.startswith(str(app_environment.root))
    assert agent_module.startswith("agents.")


def test_the_installed_cli_answers_help_and_version(app_environment: Environment) -> None:
    groundwork = app_environment.command("groundwork")
    assert "serve" in run([groundwork, "--help"], cwd=app_environment.workdir).stdout
    version = run([groundwork, "--version"], cwd=app_environment.workdir).stdout
    assert version.strip() == f"groundwork {VERSION}"


def test_the_installed_package_serves_a_demo_state(
    app_environment: Environment, demo_state: DemoState
) -> None:
    with app_environment.serving(demo_state.state_dir) as url:
        answer = app_environment.python(CLIENT_CALL, url, demo_state.token).stdout
    assert json.loads(answer) == {"budget": 150.0, "status": "PRESENT"}


@pytest.mark.parametrize("flavour", ["app_environment", "image_environment"])
def test_serving_installs_hold_neither_spark_nor_feast(
    flavour: str, request: pytest.FixtureRequest
) -> None:
    environment: Environment = request.getfixturevalue(flavour)
    assert environment.missing("pyspark", "feast") == ["pyspark", "feast"]
    result = run([environment.command("groundwork"), "sync"], cwd=environment.workdir,
                 check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == (  # sync's default engine needs pyarrow, not Spark
        "error: groundwork sync needs the arrow extra: pip install 'groundwork[arrow]'")
    assert "Traceback" not in result.stdout + result.stderr


def test_the_image_install_serves_a_demo_state_and_passes_its_health_check(
    image_environment: Environment, demo_state: DemoState
) -> None:
    assert image_environment.missing("pandas", "pyarrow", "langchain") == [
        "pandas", "pyarrow", "langchain"]
    with image_environment.serving(demo_state.state_dir) as url:
        port = url.rsplit(":", 1)[1]
        health = image_environment.python("from groundwork.healthcheck import main; main()",
                                          check=False, GROUNDWORK_PORT=port)
        response = httpx.post(f"{url}/v1/endpoints/hotel_details/invoke", json={"hotel_id": 1},
                              headers={"Authorization": f"Bearer {demo_state.token}"})
    assert health.returncode == 0, health.stderr
    assert response.status_code == 200, response.text
    assert response.json()["outputs"]["hotel_name"] == "Alfama Garden"
    stopped = image_environment.python("from groundwork.healthcheck import main; main()",
                                       check=False, GROUNDWORK_PORT=port)
    assert stopped.returncode == 1


def test_hadolint_passes_on_the_dockerfile() -> None:
    result = run([TOOLS / "hadolint", DOCKERFILE], cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_serves_as_a_non_root_user_with_a_health_check() -> None:
    text = DOCKERFILE.read_text()
    assert "ARG PYTHON_IMAGE=python:3.11." in text and "-slim" in text
    assert text.count("FROM ${PYTHON_IMAGE}") == 2
    assert "\nUSER 10001:10001\n" in text
    assert 'CMD ["python", "-m", "groundwork.healthcheck"]' in text
    assert text.rstrip().endswith('CMD ["groundwork", "serve"]')
