"""Which engine syncs a set of views: Arrow in this process, or one Spark job.

Both write the same records through the same ``write_encoded``. Arrow starts in well
under a second and reads the tables on this machine; Spark pays its JVM's start-up
(seconds) and scales out to a cluster. ``auto`` takes Arrow when every table is on the
local file system and their rows, counted from the Parquet footers without reading any
data, are at most :data:`ARROW_MAX_ROWS`; Spark otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from groundwork.features.spec import ViewSpec


class SyncEngine(StrEnum):
    """How ``groundwork sync`` reads, ranks and encodes the feature tables."""

    AUTO = "auto"
    SPARK = "spark"
    ARROW = "arrow"


ARROW_MAX_ROWS = 20_000_000
"""Most feature-table rows (all views together) ``auto`` syncs with Arrow.

Measured with ``bench/sync_vs_feast.py`` (README, "Sync against ``feast materialize``"):
Arrow beat Spark ``local[*]`` end to end at every size measured, 30 thousand to 10
million rows (11×, 4.4×, 1.7×), so the bound is memory, not speed: Arrow holds the
newest rows of a view in memory, and peaked at 2.2 GB for the benchmark's 10 million
(about 200 bytes a row over the process's 250 MB), about 4 GB at this bound. Past it,
a cluster is the better place.
"""


def chosen_engine(requested: SyncEngine | str, views: Sequence[ViewSpec],
                  max_rows: int = ARROW_MAX_ROWS) -> SyncEngine:
    """The engine to run: ``requested``, or for ``auto`` the one the tables call for."""
    engine = SyncEngine(requested)
    if engine is not SyncEngine.AUTO:
        return engine
    from groundwork.sync.arrow_job import table_rows

    total = 0
    for view in views:
        rows = table_rows(view)
        if rows is None:  # a remote table: Spark reads it where it lives
            return SyncEngine.SPARK
        total += rows
        if total > max_rows:
            return SyncEngine.SPARK
    return SyncEngine.ARROW
