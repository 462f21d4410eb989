"""Entry points of the Spark jobs on a cluster: ``spark-submit`` this file, or run a script.

The feature jobs and the sync are the CLI's ``compute`` and ``sync`` commands;
this module runs them where a cluster expects a Python file or an entry point:

- ``spark-submit groundwork/spark_submit.py compute --as-of 2026-12-01T00:00:00+00:00``
  (EMR Serverless, Synapse: the file is the job's main file, the wheel is installed
  in the job's Python environment);
- the console scripts ``groundwork-compute`` and ``groundwork-sync`` (a Databricks
  Python wheel task names one as its entry point);
- ``python -m groundwork.spark_submit sync --view hotel_prices``.

Settings come from the environment as everywhere (``GROUNDWORK_SPARK_MASTER``,
``GROUNDWORK_RAW_DATA_URI``, ``GROUNDWORK_FEATURE_TABLES_URI``, the store and
the catalog), and the arguments are the CLI command's own options.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a file, its folder would come first on sys.path and shadow top-level
    # modules (``agents``, ``sync``...) with the package's own subpackages.
    HERE = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

from groundwork.cli import main  # noqa: E402

COMMANDS = ("compute", "sync")
"""The commands that run as Spark jobs."""


def compute(args: list[str] | None = None) -> None:
    """``groundwork compute`` with ``args`` (default: the process arguments)."""
    main(["compute", *(sys.argv[1:] if args is None else args)])


def sync(args: list[str] | None = None) -> None:
    """``groundwork sync`` with ``args`` (default: the process arguments)."""
    main(["sync", *(sys.argv[1:] if args is None else args)])


def run(args: list[str]) -> None:
    """Run ``compute`` or ``sync`` as named by the first of ``args``."""
    if not args or args[0] not in COMMANDS:
        sys.stderr.write(f"usage: spark_submit.py {{{'|'.join(COMMANDS)}}} [options]\n")
        raise SystemExit(2)
    main(args)


if __name__ == "__main__":
    run(sys.argv[1:])
