"""The extras: one map from modules to extras, in step with pyproject.toml, and one message."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from groundwork.errors import MissingExtra
from groundwork.extras import (
    EXTRA_MODULES,
    STORE_EXTRAS,
    extra_of,
    from_import_error,
    installed,
    missing_extra,
)
from groundwork.sync.config import StoreConfig

REPOSITORY = Path(__file__).resolve().parents[3]
EXTRAS = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"][
    "optional-dependencies"]


def test_every_extra_of_pyproject_is_known_here() -> None:
    assert set(EXTRAS) - {"all", "dev"} == set(EXTRA_MODULES)
    assert EXTRAS["all"] == [f"groundwork[{','.join(EXTRA_MODULES)}]"]


def test_every_store_type_but_sqlite_names_its_extra() -> None:
    types = {member.model_fields["type"].default for member in StoreConfig.__args__[0].__args__}
    assert set(STORE_EXTRAS) == types - {"sqlite"}
    assert set(STORE_EXTRAS.values()) <= set(EXTRA_MODULES)


@pytest.mark.parametrize(("module", "extra"), [
    ("pyspark", "spark"), ("pyspark.sql", "spark"), ("pyarrow", "spark"), ("feast", "feast"),
    ("azure", "azure"), ("azure.cosmos.aio", "azure"), ("botocore", "aws"),
    ("langchain_core", "langchain"), ("psycopg", "postgres"), ("json", None), ("agents", None),
])
def test_a_module_maps_to_its_extra(module: str, extra: str | None) -> None:
    assert extra_of(module) == extra


def test_the_message_names_what_to_install() -> None:
    error = missing_extra(["spark", "feast"], "groundwork sync")

    assert isinstance(error, MissingExtra) and isinstance(error, ImportError)
    assert error.message == ("groundwork sync needs the spark and feast extras: "
                             "pip install 'groundwork[spark,feast]'")
    assert missing_extra(["redis"], "groundwork serve").message == (
        "groundwork serve needs the redis extra: pip install 'groundwork[redis]'")


def test_a_failed_import_becomes_the_error_of_its_extra() -> None:
    error = from_import_error(ModuleNotFoundError("no azure", name="azure"), "groundwork serve")
    assert error is not None and error.details == {"extras": ["azure"]}
    assert from_import_error(ModuleNotFoundError("no x", name="x"), "groundwork serve") is None


def test_installed_answers_for_dotted_names_whose_parent_is_missing() -> None:
    assert installed("json.decoder")
    assert not installed("no_such_package_here.sub")


def test_the_spark_submit_file_runs_as_a_main_file() -> None:
    script = REPOSITORY / "groundwork" / "spark_submit.py"
    usage = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           timeout=60, cwd=REPOSITORY)
    assert usage.returncode == 2 and "compute|sync" in usage.stderr
    helped = subprocess.run([sys.executable, str(script), "sync", "--help"],
                            capture_output=True, text=True, timeout=60, cwd=REPOSITORY)
    assert helped.returncode == 0 and "groundwork sync" in helped.stdout
