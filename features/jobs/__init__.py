"""Spark jobs that compute the feature tables, one module per feature view.

Each module has ``build(spark, raw_dir, as_of)`` returning the view's table:
the entity key, the features and ``event_ts``, with two snapshots per entity
so the tables carry history for point-in-time joins.
:func:`groundwork.features.jobs.runner.run_jobs` runs them and writes Parquet.
"""
