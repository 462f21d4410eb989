"""The hot-path guard: cached authentication and authorization for the REST server.

:class:`AccessController` answers "who is this token?" and "may they do this?"
from memory. A cache hit does no I/O and costs about a microsecond, so it is
safe to call from async request handlers. A miss queries the catalog
synchronously, on the calling thread: a few milliseconds on SQLite; with a
remote PostgreSQL the caller may prefer to run misses in a worker thread.

The cache is dropped as a whole

- whenever access data changes through the same catalog object (the
  controller subscribes to its ``on_access_change``);
- when :class:`groundwork.catalog.changes.AccessChangeWatcher` sees that
  another process (the CLI, another server) changed access data; and
- at the latest ``max_age`` seconds after it was last dropped or last
  confirmed current (:meth:`AccessController.confirm_current`), and
  ``lifetime`` seconds after it was last dropped in any case. The server
  sets ``max_age`` to its one-second bound, so a change made elsewhere is
  honoured within ``max_age`` even when the watcher stalls or the catalog
  cannot be read: the cache then expires and the next calls ask the catalog.

Checking freshness costs one clock read per call; nothing else is on the hot path.
A token's expiry is checked on every call, cached or not.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from groundwork.catalog.policy import Decision, Grant, Principal, Privilege, Securable, authorize
from groundwork.catalog.tokens import AuthenticatedToken
from groundwork.errors import AccessDenied, NotAuthenticated

DEFAULT_MAX_AGE = 5.0
"""Seconds a cached answer may be used before the catalog is asked again."""

DEFAULT_LIFETIME = 60.0
"""Seconds after which the cache is dropped even when confirmed current."""

_GrantsKey = tuple[str, frozenset[str]]
_Claims = frozenset[tuple[str, int | str]] | None
_DecisionKey = tuple[str, frozenset[str], _Claims, Securable, Privilege]


class AccessStore(Protocol):
    """Where tokens and grants are kept; :class:`groundwork.catalog.store.Catalog` is one."""

    def verify_token(self, token: str | None) -> AuthenticatedToken:
        """Check a bearer token; raise ``NotAuthenticated`` when it does not pass."""
        ...

    def grants_for(self, principal: Principal) -> Sequence[Grant]:
        """The grants to the principal and to its groups."""
        ...

    def on_access_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every committed change to access data."""
        ...


@dataclass(frozen=True, slots=True)
class _CachedToken:
    """A verified token: its principal and its expiry as a Unix time (``inf``: never)."""

    principal: Principal
    expires_at: float


class AccessController:
    """Authenticates bearer tokens and authorizes calls, from an in-memory cache.

    Args:
        catalog: The catalog holding principals, tokens and grants.
        max_age: Seconds after which every cached answer is dropped, counted from the
            last drop or the last :meth:`confirm_current`.
        lifetime: Seconds after which the cache is dropped even when confirmed current,
            so that each token's use is recorded again (``last_used_at``) and answers
            for tokens no longer presented are let go.
        clock: Monotonic clock in seconds (tests may pass their own).
        wall_clock: Unix time in seconds, for token expiry (tests may pass their own).
    """

    def __init__(
        self,
        catalog: AccessStore,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        lifetime: float = DEFAULT_LIFETIME,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._catalog = catalog
        self._max_age = max_age
        self._clock = clock
        self._wall_clock = wall_clock
        self._generation = 0
        self._tokens: dict[str, _CachedToken] = {}
        self._grants: dict[_GrantsKey, tuple[Grant, ...]] = {}
        self._decisions: dict[_DecisionKey, Decision] = {}
        self._lifetime = lifetime
        self._dropped_at = clock()
        self._fresh_until = self._dropped_at + max_age
        catalog.on_access_change(self.invalidate)

    @property
    def clock(self) -> Callable[[], float]:
        """The monotonic clock that times the cache (seconds)."""
        return self._clock

    @property
    def max_age(self) -> float:
        """Seconds a cached answer lives after the last drop or confirmation."""
        return self._max_age

    def invalidate(self) -> None:
        """Drop every cached answer; the next calls ask the catalog again."""
        self._generation += 1
        self._tokens = {}
        self._grants = {}
        self._decisions = {}
        self._dropped_at = self._clock()
        self._fresh_until = self._dropped_at + self._max_age

    def confirm_current(self, as_of: float) -> None:
        """Keep the cache until ``as_of + max_age``: no access change was missed up to ``as_of``.

        Never beyond ``lifetime`` after the cache was last dropped.

        Args:
            as_of: A time on this controller's clock, taken before reading the
                catalog's access version that showed no change; a cached
                answer then reflects every change committed before it.
        """
        renewed = max(self._fresh_until, as_of + self._max_age)
        self._fresh_until = min(renewed, self._dropped_at + self._lifetime)

    def authenticate(self, token: str | None) -> Principal:
        """Return the principal a bearer token stands for.

        Args:
            token: The bearer token from the request, or ``None`` when absent.

        Raises:
            NotAuthenticated: when the token is missing, malformed, unknown,
                expired or revoked, or its principal is disabled.
        """
        self._drop_if_stale()
        cached = self._tokens.get(token) if token else None
        if cached is None:
            return self._load_token(token)
        if cached.expires_at != math.inf and self._wall_clock() >= cached.expires_at:
            raise NotAuthenticated("bearer token has expired", reason="expired")
        return cached.principal

    def authorize(
        self, principal: Principal, securable: Securable, privilege: Privilege
    ) -> Decision:
        """Decide whether ``principal`` holds ``privilege`` on ``securable``.

        Returns:
            The decision of :func:`groundwork.catalog.policy.authorize` over the
            principal's grants; denied unless a grant allows it. Decisions
            are cached per set of claims too, since a grant's entity filter
            binds to them.
        """
        self._drop_if_stale()
        key = (principal.name, principal.groups, _claims(principal), securable, privilege)
        decision = self._decisions.get(key)
        if decision is None:
            generation = self._generation
            grants = self._grants_of(principal)
            decision = authorize(principal, grants, securable, privilege)
            if generation == self._generation:
                self._decisions[key] = decision
        return decision

    def require(self, principal: Principal, securable: Securable, privilege: Privilege) -> Decision:
        """Like :meth:`authorize`, but raise when access is denied.

        Raises:
            AccessDenied: carrying the decision's reason.
        """
        decision = self.authorize(principal, securable, privilege)
        if not decision.allowed:
            raise AccessDenied(
                decision.reason,
                principal=principal.name,
                object_type=str(securable.object_type),
                object_name=securable.name,
                privilege=str(privilege),
            )
        return decision

    def _drop_if_stale(self) -> None:
        """Drop the cache once it is older than ``max_age``."""
        if self._clock() >= self._fresh_until:
            self.invalidate()

    def _load_token(self, token: str | None) -> Principal:
        """Verify a token against the catalog and cache it with its principal's grants."""
        generation = self._generation
        verified = self._catalog.verify_token(token)
        principal = verified.principal
        grants = tuple(self._catalog.grants_for(principal))
        if token and generation == self._generation:
            expires_at = (
                math.inf if verified.expires_at is None else verified.expires_at.timestamp()
            )
            self._tokens[token] = _CachedToken(principal, expires_at)
            self._grants[(principal.name, principal.groups)] = grants
        return principal

    def _grants_of(self, principal: Principal) -> tuple[Grant, ...]:
        """The principal's grants, from the cache or else from the catalog."""
        key = (principal.name, principal.groups)
        grants = self._grants.get(key)
        if grants is None:
            generation = self._generation
            grants = tuple(self._catalog.grants_for(principal))
            if generation == self._generation:
                self._grants[key] = grants
        return grants


def _claims(principal: Principal) -> _Claims:
    """The principal's claims in a hashable form, for cache keys."""
    if principal.entity_filter is None:
        return None
    return frozenset(principal.entity_filter.items())
