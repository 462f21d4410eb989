"""The CLI and the server start without importing Feast or Spark, and serve the registered views."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from groundwork.catalog.store import Catalog
from groundwork.features.registry import load_view_specs
from groundwork.server import served_views
from groundwork.settings import Settings

REPOSITORY = Path(__file__).resolve().parents[3]


def test_cli_and_server_modules_import_neither_feast_nor_spark() -> None:
    probe = (
        "import sys, groundwork.cli, groundwork.server, groundwork.demo\n"
        "print(sorted(name for name in ('feast', 'pyspark') if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True,
                            text=True, check=True, timeout=120)
    assert result.stdout.strip() == "[]"


def test_served_views_are_the_registered_ones(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    definitions = load_view_specs(settings.feature_tables_dir)
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()
    registered = dataclasses.replace(definitions["user_profile"], description="as registered")
    catalog.register_feature_view(registered)

    assert served_views(settings, catalog) == {"user_profile": registered}
    catalog.dispose()


def test_an_unregistered_state_serves_the_definitions(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()

    assert served_views(settings, catalog) == load_view_specs(settings.feature_tables_dir)
    catalog.dispose()


def test_pipeline_imports_neither_feast_nor_spark() -> None:
    probe = ("import sys, groundwork.pipeline\n"
             "print(sorted(name for name in ('feast', 'pyspark', 'networkx') "
             "if name in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True,
                            text=True, check=True, timeout=120)
    assert result.stdout.strip() == "[]"


def test_sync_reads_the_registered_views_from_the_configured_tables(tmp_path: Path) -> None:
    from groundwork.pipeline import _sync_specs

    settings = Settings(state_dir=tmp_path, feature_tables_uri="s3a://lake/tables")
    definitions = load_view_specs("/elsewhere")
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()
    registered = dataclasses.replace(definitions["user_profile"], description="as registered")
    catalog.register_feature_view(registered)

    assert _sync_specs(settings, catalog, None) == {"user_profile": dataclasses.replace(
        registered, source_path="s3a://lake/tables/user_profile")}
    assert _sync_specs(settings, catalog, ["hotel_stats"]) == load_view_specs(
        "s3a://lake/tables")  # a view not registered: the definitions
    catalog.dispose()
