"""The catalog: registry of feature views, functions and endpoints; principals, tokens,
grants, audit events and sync runs.

Modules: :mod:`catalog.policy` (pure access decisions), :mod:`catalog.tokens`
(token format and hashing), :mod:`catalog.store` (:class:`~catalog.store.Catalog`,
the persistent registry), :mod:`catalog.access` (cached hot-path guard) and
:mod:`catalog.audit` (non-blocking audit sink). Nothing is imported here, so
importing :mod:`catalog.policy` does not load SQLAlchemy.
"""
