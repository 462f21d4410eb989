"""The HTTP side of serving: the app, its routes, the admin API and the one guard.

Every door (endpoint invoke, the tool listing, the admin API) admits its calls
through :mod:`groundwork.dag.http.guard`; :func:`groundwork.dag.http.app.create_app`
composes them. The engine it serves lives one level up, in :mod:`groundwork.dag`.
"""
