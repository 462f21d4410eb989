"""Token lifecycle: shown once, stored only as a hash, refused when malformed or no longer valid."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from groundwork.catalog.policy import PrincipalKind
from groundwork.catalog.store import Catalog, open_catalog
from groundwork.catalog.store.models import Base, TokenRow
from groundwork.catalog.tokens import new_token, parse_token
from groundwork.errors import Conflict, InvalidInput, NotAuthenticated, NotFound


@pytest.fixture
def planner(catalog: Catalog) -> str:
    catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
    return "planner"


def secret_of(token: str) -> str:
    return token[len("gw_0123456789abcdef_") :]


def reason_of(error: pytest.ExceptionInfo[NotAuthenticated]) -> str:
    return str(error.value.details["reason"])


def test_a_new_token_has_the_documented_shape() -> None:
    issued = new_token()

    parsed = parse_token(issued.token)

    assert issued.token.startswith(f"gw_{issued.token_id}_")
    assert parsed.token_id == issued.token_id
    assert "***" in repr(issued) and issued.token not in repr(issued)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("not-a-token", "malformed"),
        ("gw_0123456789abcdef", "malformed"),
        ("gw_0123456789abcdef_short", "malformed"),
        ("xx_0123456789abcdef_" + "a" * 43, "malformed"),
        ("gw_0123456789ABCDEF_" + "a" * 43, "malformed"),
        ("gw_0123456789abcdef_" + "a" * 42 + "=", "malformed"),
        (" gw_0123456789abcdef_" + "a" * 43, "malformed"),
    ],
)
def test_malformed_tokens_are_refused_with_a_reason(token: str | None, reason: str) -> None:
    with pytest.raises(NotAuthenticated) as error:
        parse_token(token)

    assert reason_of(error) == reason


def test_the_plaintext_is_returned_once_and_only_its_hash_is_stored(
    catalog: Catalog, planner: str
) -> None:
    issued = catalog.issue_token(planner, description="demo")

    with catalog.engine.connect() as connection:
        stored = connection.execute(select(TokenRow.__table__)).mappings().one()
        everything = [
            str(value)
            for table in Base.metadata.sorted_tables
            for row in connection.execute(select(table))
            for value in row
        ]
    assert stored["token_hash"] == hashlib.sha256(issued.token.encode()).hexdigest()
    assert stored["id"] == issued.token_id
    assert not [value for value in everything if secret_of(issued.token) in value]
    assert catalog.authenticate(issued.token).name == planner


@pytest.mark.usefixtures("known_entities")
def test_authentication_returns_groups_and_the_token_entity_filter(
    catalog: Catalog, planner: str
) -> None:
    bound = catalog.issue_token(planner, entity_filter={"user_id": 42})
    unbound = catalog.issue_token(planner)

    principal = catalog.authenticate(bound.token)

    assert principal.groups == {"agents"}
    assert principal.entity_filter == {"user_id": 42}
    assert catalog.authenticate(unbound.token).entity_filter is None


def test_an_unknown_token_is_refused(catalog: Catalog, planner: str) -> None:
    issued = catalog.issue_token(planner)
    forged = new_token()
    wrong_secret = f"gw_{issued.token_id}_{secret_of(forged.token)}"

    for token in (forged.token, wrong_secret):
        with pytest.raises(NotAuthenticated) as error:
            catalog.authenticate(token)
        assert reason_of(error) == "unknown"


def test_a_revoked_token_is_refused(catalog: Catalog, planner: str) -> None:
    issued = catalog.issue_token(planner)

    catalog.revoke_token(issued.token_id)

    with pytest.raises(NotAuthenticated) as error:
        catalog.authenticate(issued.token)
    assert reason_of(error) == "revoked"
    with pytest.raises(Conflict):
        catalog.revoke_token(issued.token_id)
    with pytest.raises(NotFound):
        catalog.revoke_token("0123456789abcdef")


def test_an_expired_token_is_refused(catalog_url: str) -> None:
    now = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
    with open_catalog(catalog_url, now=lambda: now) as catalog:
        catalog.create_principal("planner", PrincipalKind.AGENT)
        expires_at = now + dt.timedelta(minutes=5)
        issued = catalog.issue_token("planner", expires_at=expires_at)
        now = expires_at - dt.timedelta(microseconds=1)
        assert catalog.authenticate(issued.token).name == "planner"

        now = expires_at

        with pytest.raises(NotAuthenticated) as error:
            catalog.authenticate(issued.token)
    assert reason_of(error) == "expired"


def test_a_disabled_principal_cannot_authenticate(catalog: Catalog, planner: str) -> None:
    issued = catalog.issue_token(planner)

    catalog.set_principal_disabled(planner)

    with pytest.raises(NotAuthenticated) as error:
        catalog.authenticate(issued.token)
    assert reason_of(error) == "disabled"
    with pytest.raises(Conflict):
        catalog.issue_token(planner)
    catalog.set_principal_disabled(planner, disabled=False)
    assert catalog.authenticate(issued.token).name == planner


def test_last_used_at_is_recorded_without_a_write_per_call(catalog: Catalog, planner: str) -> None:
    issued = catalog.issue_token(planner)
    assert last_used_at(catalog, issued.token_id) is None

    catalog.authenticate(issued.token)
    first = last_used_at(catalog, issued.token_id)
    catalog.authenticate(issued.token)

    assert first is not None and first.tzinfo is not None
    assert last_used_at(catalog, issued.token_id) == first


def last_used_at(catalog: Catalog, token_id: str) -> dt.datetime | None:
    with catalog.engine.connect() as connection:
        query = select(TokenRow.last_used_at).where(TokenRow.id == token_id)
        return connection.execute(query).scalar_one()


@pytest.mark.parametrize(
    "arguments",
    [
        {"expires_at": dt.datetime(2030, 1, 1)},
        {"expires_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)},
        {"entity_filter": {}},
        {"entity_filter": {"user_id": True}},
        {"entity_filter": {"user_id": 4.2}},
    ],
)
def test_invalid_token_options_are_refused(
    catalog: Catalog, planner: str, arguments: dict[str, object]
) -> None:
    with pytest.raises(InvalidInput):
        catalog.issue_token(planner, **arguments)  # type: ignore[arg-type]


def test_tokens_are_issued_only_to_known_principals(catalog: Catalog) -> None:
    with pytest.raises(NotFound):
        catalog.issue_token("nobody")
