"""Short-lived tokens for the demo travel agent, bound to the traveller it acts for.

``groundwork ask`` and ``groundwork demo`` do not hand the agent the demo
token, which may act for anyone: they mint a token of the demo agent that
lasts fifteen minutes and is bound to ``{"user_id": N}``, the traveller asked
about. The server then refuses any call for another user (``access_denied``).
The token is issued by the settings' own catalog, as ``groundwork token
create --on-behalf-of user_id=N`` would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from groundwork.catalog.store import open_catalog
from groundwork.errors import NotFound
from groundwork.settings import Settings

DEMO_PRINCIPAL = "travel-planner"
"""The agent principal ``groundwork register`` creates, with EXECUTE on every endpoint."""
BOUND_TOKEN_LIFETIME = dt.timedelta(minutes=15)
"""How long a token minted for one question lasts."""


@dataclass(frozen=True, slots=True)
class BoundToken:
    """A token minted for one traveller.

    Attributes:
        token: The bearer token (a secret: never printed).
        token_id: Its public id, to revoke it.
        principal: The agent principal it authenticates.
        entities: The entity keys it is bound to, e.g. ``{"user_id": 42}``.
        expires_at: When it stops working (UTC).
    """

    token: str
    token_id: str
    principal: str
    entities: dict[str, int | str]
    expires_at: dt.datetime

    def __repr__(self) -> str:
        return f"BoundToken({self.describe()})"

    def describe(self) -> str:
        """One line saying what the token may do, without its secret."""
        bound = ", ".join(f"{key}={value}" for key, value in self.entities.items())
        return (f"token {self.token_id} of {self.principal}, bound to {bound}, "
                f"expires {self.expires_at:%Y-%m-%d %H:%M} UTC")


def mint_bound_token(
    settings: Settings,
    entities: Mapping[str, int | str],
    *,
    principal: str = DEMO_PRINCIPAL,
    lifetime: dt.timedelta = BOUND_TOKEN_LIFETIME,
    now: dt.datetime | None = None,
) -> BoundToken:
    """Issue a short-lived token of ``principal`` bound to ``entities``.

    Args:
        settings: The settings whose catalog issues the token.
        entities: The entity keys the token acts for, e.g. ``{"user_id": 42}``.
        principal: The agent principal (the demo agent by default).
        lifetime: How long the token lasts.
        now: The current time (UTC); the wall clock by default.

    Raises:
        NotFound: when the settings have no catalog yet, or it has no such principal.
        InvalidInput: when a key of ``entities`` is no registered entity key.
    """
    if settings.catalog_url is None and not (settings.state_dir / "catalog.db").exists():
        raise NotFound(f"no catalog in {settings.state_dir}: run `groundwork register` "
                       "first, or pass --token-file", state_dir=str(settings.state_dir))
    expires_at = (now or dt.datetime.now(dt.UTC)) + lifetime
    bound = ", ".join(f"{key}={value}" for key, value in entities.items())
    with open_catalog(settings.resolved_catalog_url) as catalog:
        issued = catalog.tokens.issue(principal, expires_at=expires_at,
                                      entity_filter=dict(entities),
                                      description=f"travel planner acting for {bound}")
    return BoundToken(issued.token, issued.token_id, principal, dict(entities), expires_at)
