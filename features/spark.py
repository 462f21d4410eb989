"""A Spark session set up for the feature jobs.

The jobs are plain PySpark; only the master URL (a setting) says whether they
run in-process (``local[*]``) or on a cluster.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from pyspark.sql import SparkSession

LOG_CONFIG = Path(__file__).with_name("log4j2.properties")

LOCAL_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.adaptive.enabled": "true",
}


def spark_session(
    master: str = "local[*]",
    app_name: str = "groundwork",
    *,
    config: Mapping[str, str] | None = None,
) -> SparkSession:
    """Return a Spark session for the feature jobs, creating it when none is running.

    Args:
        master: Spark master URL, e.g. ``local[*]``, ``local[2]`` or
            ``spark://host:7077``.
        app_name: Application name shown by the cluster manager.
        config: Extra Spark settings; they override the defaults (UTC session
            time zone, microsecond Parquet timestamps, 8 shuffle partitions,
            Arrow transfers, no UI, error-level logs).

    Returns:
        The active session (Spark allows one per process).
    """
    if master.startswith("local"):
        # A local driver binds to loopback; saying so spares Spark a hostname warning.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Local Python workers run the driver's interpreter, so they import this project.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    quiet_logs = {"spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIG}"}
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {**LOCAL_DEFAULTS, **quiet_logs, **(config or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
