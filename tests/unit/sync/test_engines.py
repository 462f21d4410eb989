"""Which engine ``auto`` picks: Arrow for small local tables, Spark for large or remote ones."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.engines import SyncEngine, chosen_engine


def view(name: str, location: str) -> ViewSpec:
    return ViewSpec(name, "user_id", ValueType.INT, (FeatureSpec("score", ValueType.INT),),
                    ttl_seconds=None, source_path=location)


def table(path: Path, rows: int) -> ViewSpec:
    path.mkdir(parents=True)
    pq.write_table(pa.table({"user_id": list(range(rows)), "score": [1] * rows}),
                   path / "part-0.parquet")
    return view(path.name, str(path))


def test_auto_counts_rows_from_the_footers(tmp_path: Path) -> None:
    views = [table(tmp_path / "a", 30), table(tmp_path / "b", 20)]
    assert chosen_engine("auto", views, max_rows=50) is SyncEngine.ARROW
    assert chosen_engine("auto", views, max_rows=49) is SyncEngine.SPARK
    assert chosen_engine(SyncEngine.AUTO, [views[0], view("gone", str(tmp_path / "gone"))],
                         max_rows=30) is SyncEngine.ARROW  # a missing table fails in the sync


def test_remote_tables_go_to_spark_and_explicit_choices_stand(tmp_path: Path) -> None:
    local = table(tmp_path / "a", 1)
    assert chosen_engine("auto", [local, view("s3", "s3a://bucket/tables/s3")]) \
        is SyncEngine.SPARK
    assert chosen_engine("auto", [view("file", f"file://{tmp_path / 'a'}")]) is SyncEngine.ARROW
    assert chosen_engine("spark", [local]) is SyncEngine.SPARK
    assert chosen_engine("arrow", [view("s3", "s3a://bucket/tables/s3")]) is SyncEngine.ARROW
