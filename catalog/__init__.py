"""The catalog: registry of feature views, functions and endpoints; principals, tokens,
grants, audit events, sync runs and lineage.

Modules: :mod:`catalog.policy` (pure access decisions, entity filters),
:mod:`catalog.tokens` (token format and hashing), :mod:`catalog.store`
(:class:`~catalog.store.Catalog`, the persistent registry), :mod:`catalog.migrate`
(Alembic migrations run from code), :mod:`catalog.access` (cached hot-path
guard), :mod:`catalog.audit` (non-blocking audit sink) and :mod:`catalog.lineage`
(pure lineage graph and its renderings). Nothing is imported here, so importing
:mod:`catalog.policy` does not load SQLAlchemy.
"""
