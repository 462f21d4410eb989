"""A served state with an administrator: the demo state plus a principal holding MANAGE.

For tests that call the admin API, or change the catalog, on a state of their own
(so what they create, disable or revoke stays out of every other test's way).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from groundwork.catalog.policy import ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog
from groundwork.settings import Settings
from tests.support.demo_state import PRICES_FROM, seed_store

ADMIN = "edge-administrator-7f3c"
"""The administrator's name: one no generated call is likely to pick and disable."""


@dataclass(frozen=True, slots=True)
class AdminState:
    """A registered state directory with the demo agent's and an administrator's tokens.

    Attributes:
        settings: Settings pointing at the state directory.
        token: Bearer token of the demo agent (EXECUTE on every endpoint).
        admin_token: Bearer token of :data:`ADMIN` (MANAGE on the catalog).
    """

    settings: Settings
    token: str
    admin_token: str


def admin_state(state_dir: Path) -> AdminState:
    """Seed the embedded store in ``state_dir``, register everything, add the administrator."""
    from groundwork import pipeline  # imports pyspark's modules, starts no Spark

    settings = Settings(state_dir=state_dir)
    asyncio.run(seed_store(settings, dt.datetime.now(dt.UTC).replace(microsecond=0),
                           PRICES_FROM))
    registration = pipeline.register(settings)
    assert registration.token_file is not None
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_principal(ADMIN, PrincipalKind.SERVICE)
    catalog.grant(ADMIN, Privilege.MANAGE, ObjectType.CATALOG, "*")
    admin_token = catalog.issue_token(ADMIN).token
    catalog.dispose()
    return AdminState(settings, registration.token_file.read_text().strip(), admin_token)
