"""The tokens table: issuing, revoking and authenticating bearer tokens.

The token format, its hash and the checks on a presented token are the rules
of :mod:`groundwork.catalog.tokens`; this module stores and looks them up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select

from groundwork.catalog.entity_filters import frozen_filter, require_known_keys, token_filter
from groundwork.catalog.policy import Principal
from groundwork.catalog.store.database import Database
from groundwork.catalog.store.definitions import entity_keys
from groundwork.catalog.store.models import PrincipalRow, TokenRow
from groundwork.catalog.store.principals import groups_of, principal_row
from groundwork.catalog.tokens import (
    AuthenticatedToken,
    IssuedToken,
    TokenRecord,
    check_usable,
    checked_description,
    checked_expiry,
    hash_matches,
    new_token,
    parse_token,
    token_hash,
)
from groundwork.errors import Conflict, NotAuthenticated, NotFound

LAST_USED_RESOLUTION = dt.timedelta(seconds=60)
"""``last_used_at`` is rewritten at most this often per token, to keep reads read-only."""


class TokenRepository:
    """The ``tokens`` table.

    A revocation bumps the access version in its transaction and tells the
    database's access listeners once it is committed. Issuing a token does
    neither: a token nobody has presented yet is in no cache, so a new one
    changes no cached answer (and an application minting a token per session
    does not empty every server's cache each time).

    Args:
        database: The catalog's database.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    def issue(
        self,
        principal_name: str,
        *,
        expires_at: dt.datetime | None = None,
        description: str = "",
        entity_filter: Mapping[str, int | str] | None = None,
    ) -> IssuedToken:
        """Issue a bearer token; its plaintext is in the result and nowhere else.

        Args:
            principal_name: Principal the token authenticates.
            expires_at: Timezone-aware expiry time; ``None`` for no expiry.
            description: What the token is for.
            entity_filter: Entity keys the bearer is bound to, e.g. ``{"user_id": 42}``.

        Raises:
            NotFound: when the principal does not exist.
            Conflict: when the principal is disabled.
            InvalidInput: when ``expires_at`` is naive, past or more than ten years
                away, the description is too long, or the filter is invalid or names
                a key that is no registered feature view's entity key.
        """
        now = self._database.now()
        expires_at = checked_expiry(expires_at, now)
        description = checked_description(description)
        filter_document = token_filter(entity_filter)
        issued = new_token()
        with self._database.transaction() as session:
            require_known_keys(filter_document, entity_keys(session))
            principal = principal_row(session, principal_name)
            if principal.disabled:
                raise Conflict(
                    f"principal {principal_name!r} is disabled", principal=principal_name
                )
            session.add(
                TokenRow(
                    id=issued.token_id,
                    principal_id=principal.id,
                    token_hash=token_hash(issued.token),
                    created_at=now,
                    expires_at=expires_at,
                    description=description,
                    entity_filter=filter_document,
                )
            )
        return issued

    def revoke(self, token_id: str) -> None:
        """Revoke a token; it stops working at once.

        Raises:
            NotFound: when no token has this id.
            Conflict: when it is already revoked.
        """
        with self._database.access_transaction() as session:
            row = session.get(TokenRow, token_id)
            if row is None:
                raise NotFound(f"no token with id {token_id!r}", token_id=token_id)
            if row.revoked_at is not None:
                raise Conflict(f"token {token_id!r} is already revoked", token_id=token_id)
            row.revoked_at = self._database.now()

    def all(
        self, principal_name: str | None = None, *, include_inactive: bool = True
    ) -> list[TokenRecord]:
        """Tokens, newest first, without their secrets or hashes.

        Args:
            principal_name: Only this principal's tokens; every token when ``None``.
            include_inactive: Whether to list revoked and expired tokens too.

        Raises:
            NotFound: when ``principal_name`` names no principal.
        """
        query = (
            select(TokenRow, PrincipalRow.name)
            .join(PrincipalRow, PrincipalRow.id == TokenRow.principal_id)
            .order_by(TokenRow.created_at.desc(), TokenRow.id)
        )
        now = self._database.now()
        with self._database.transaction() as session:
            if principal_name is not None:
                owner = principal_row(session, principal_name)
                query = query.where(TokenRow.principal_id == owner.id)
            records = [_token_record(row, name) for row, name in session.execute(query)]
        if include_inactive:
            return records
        return [record for record in records if record.is_active(now)]

    def authenticate(self, token: str | None) -> Principal:
        """Return the principal a bearer token stands for.

        Raises:
            NotAuthenticated: when the token is missing, malformed, unknown,
                expired or revoked, or its principal is disabled.
        """
        return self.verify(token).principal

    def verify(self, token: str | None) -> AuthenticatedToken:
        """Check a bearer token and return its principal and expiry.

        Records the use in ``last_used_at`` (at most once a minute per token).

        Raises:
            NotAuthenticated: when the token is missing, malformed, unknown,
                expired or revoked, or its principal is disabled.
        """
        parsed = parse_token(token)
        now = self._database.now()
        with self._database.transaction() as session:
            found = session.execute(
                select(TokenRow, PrincipalRow)
                .join(PrincipalRow, PrincipalRow.id == TokenRow.principal_id)
                .where(TokenRow.id == parsed.token_id)
            ).first()
            if found is None or not hash_matches(parsed.token, found[0].token_hash):
                raise NotAuthenticated("unknown bearer token", reason="unknown")
            token_row, owner = found
            check_usable(revoked_at=token_row.revoked_at, expires_at=token_row.expires_at,
                         principal=owner.name, disabled=owner.disabled, now=now)
            _record_use(token_row, now)
            groups = groups_of(session, owner.id)
        principal = Principal(
            id=owner.id,
            name=owner.name,
            kind=owner.kind,
            groups=groups,
            entity_filter=frozen_filter(token_row.entity_filter),
        )
        return AuthenticatedToken(principal, token_row.id, token_row.expires_at)


def _token_record(row: TokenRow, principal: str) -> TokenRecord:
    """The administrators' view of a token row (no secret, no hash)."""
    return TokenRecord(
        token_id=row.id,
        principal=principal,
        description=row.description,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        entity_filter=frozen_filter(row.entity_filter),
    )


def _record_use(token: TokenRow, now: dt.datetime) -> None:
    """Set ``last_used_at``, unless it was set less than a minute ago (saves a write)."""
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
