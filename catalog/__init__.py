"""The catalog: registry of feature views, functions and endpoints; principals, tokens,
grants, audit events, sync runs and lineage.

Pure rules live at the top: :mod:`~groundwork.catalog.policy` (access decisions and
grant arguments), :mod:`~groundwork.catalog.entity_filters` (entity filters of grants
and tokens, bound to claims), :mod:`~groundwork.catalog.tokens` (token format and
hashing), :mod:`~groundwork.catalog.events` (audit events and the bounds that make
them storable), :mod:`~groundwork.catalog.audit` (the non-blocking audit sink, which
isolates refused events with :mod:`~groundwork.catalog.delivery`),
:mod:`~groundwork.catalog.access` (the cached hot-path guard over a store protocol),
:mod:`~groundwork.catalog.lineage` (the lineage graph, plain data) and
:mod:`~groundwork.catalog.render` (its renderings), plus the records the catalog
speaks in (:mod:`~groundwork.catalog.definitions`, :mod:`~groundwork.catalog.principals`)
and :mod:`~groundwork.catalog.validation`. The SQL side is
:mod:`~groundwork.catalog.store` (:class:`~groundwork.catalog.store.Catalog` and
:func:`~groundwork.catalog.store.open_catalog`). Nothing is imported here, so
importing :mod:`~groundwork.catalog.policy` does not load SQLAlchemy.
"""
