"""The sdist and the wheel: metadata that PyPI accepts, one namespace, the data files inside."""

from __future__ import annotations

import fnmatch
import sys
import tarfile
import tomllib
import zipfile

import pytest

from tests.packaging.conftest import ROOT, TOOLS, Distribution, run

pytestmark = pytest.mark.packaging
ROOMS = ("agents", "catalog", "dag", "features", "functions", "sync")
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def wheel_files(distribution: Distribution) -> list[str]:
    with zipfile.ZipFile(distribution.wheel) as wheel:
        return wheel.namelist()


def test_twine_accepts_both_distributions(distribution: Distribution) -> None:
    run([sys.executable, "-m", "twine", "check", "--strict", distribution.sdist,
         distribution.wheel], cwd=ROOT)


def test_check_wheel_contents_passes(distribution: Distribution) -> None:
    result = run([TOOLS / "check-wheel-contents", distribution.wheel], cwd=ROOT)
    assert result.stdout.strip().endswith("OK"), result.stdout


def test_the_wheel_holds_one_top_level_package_and_no_tests(distribution: Distribution) -> None:
    files = wheel_files(distribution)
    assert {name.split("/")[0] for name in files} == {
        "groundwork", f"groundwork-{VERSION}.dist-info"}
    assert not [name for name in files
                if {"tests", "bench", "infra", "scripts"} & set(name.split("/")[:-1])]
    for room in ROOMS:
        assert f"groundwork/{room}/__init__.py" in files


@pytest.mark.parametrize("pattern", [
    "groundwork/catalog/*migrations/versions/*.py",
    "groundwork/catalog/*migrations/script.py.mako",
    "groundwork/features/feature_store.yaml",
    "groundwork/py.typed",
])
def test_the_wheel_holds_the_data_files(distribution: Distribution, pattern: str) -> None:
    assert fnmatch.filter(wheel_files(distribution), pattern), pattern


def test_the_wheel_declares_the_scripts_and_extras(distribution: Distribution) -> None:
    with zipfile.ZipFile(distribution.wheel) as wheel:
        entry_points = wheel.read(f"groundwork-{VERSION}.dist-info/entry_points.txt").decode()
        metadata = wheel.read(f"groundwork-{VERSION}.dist-info/METADATA").decode()
    for script in ("groundwork = groundwork.cli:main",
                   "groundwork-compute = groundwork.spark_submit:compute",
                   "groundwork-sync = groundwork.spark_submit:sync"):
        assert script in entry_points
    extras = {line.split(": ", 1)[1] for line in metadata.splitlines()
              if line.startswith("Provides-Extra: ")}
    assert {"spark", "feast", "redis", "aws", "azure", "postgres", "langchain", "all",
            "dev"} <= extras
    core = [line for line in metadata.splitlines()
            if line.startswith("Requires-Dist: ") and "extra ==" not in line]
    assert not [line for line in core
                if any(heavy in line for heavy in ("pyspark", "feast", "pandas", "pyarrow",
                                                    "langchain"))]


def test_the_sdist_holds_the_rooms_as_files_under_the_namespace(
    distribution: Distribution,
) -> None:
    with tarfile.open(distribution.sdist) as sdist:
        members = sdist.getmembers()
    assert not [member.name for member in members if member.issym()]
    top = {member.name.split("/")[1] for member in members if member.name.count("/") >= 1}
    assert not top & set(ROOMS)
    names = {member.name.split("/", 1)[1] for member in members if "/" in member.name}
    for room in ROOMS:
        assert f"groundwork/{room}/__init__.py" in names
