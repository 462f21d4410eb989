"""The catalog: registry of feature views, functions and endpoints; principals, tokens,
grants, audit events, sync runs and lineage.

Modules: :mod:`~groundwork.catalog.policy` (pure access decisions, entity filters),
:mod:`~groundwork.catalog.tokens` (token format and hashing),
:mod:`~groundwork.catalog.store` (:class:`~groundwork.catalog.store.Catalog`, the
persistent registry), :mod:`~groundwork.catalog.migrate` (Alembic migrations run from
code), :mod:`~groundwork.catalog.access` (cached hot-path guard),
:mod:`~groundwork.catalog.audit` (non-blocking audit sink) and
:mod:`~groundwork.catalog.lineage` (pure lineage graph and its renderings). Nothing is
imported here, so importing :mod:`~groundwork.catalog.policy` does not load SQLAlchemy.
"""
