"""Bearer tokens in the catalog: issuing, revoking and authenticating."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import select

from groundwork.catalog.database import CatalogBase, to_utc
from groundwork.catalog.models import PrincipalRow, TokenRow, utc_now
from groundwork.catalog.policy import Principal
from groundwork.catalog.principals import groups_of, principal_row
from groundwork.catalog.records import TokenRecord
from groundwork.catalog.tokens import IssuedToken, hash_matches, new_token, parse_token, token_hash
from groundwork.errors import Conflict, InvalidInput, NotAuthenticated, NotFound

LAST_USED_RESOLUTION = dt.timedelta(seconds=60)
"""``last_used_at`` is rewritten at most this often per token, to keep reads read-only."""


@dataclass(frozen=True, slots=True)
class AuthenticatedToken:
    """A token that passed every check, with the principal it stands for.

    Attributes:
        principal: The caller, with its groups and the token's entity filter.
        token_id: The public id of the token used.
        expires_at: When the token stops working; ``None`` when it never expires.
    """

    principal: Principal
    token_id: str
    expires_at: dt.datetime | None


class TokenCatalog(CatalogBase):
    """The token part of the catalog."""

    def issue_token(
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
            InvalidInput: when ``expires_at`` is naive or past, or the filter is invalid.
        """
        now = utc_now()
        expires_at = _checked_expiry(expires_at, now)
        filter_document = _entity_filter_document(entity_filter)
        issued = new_token()
        with self._transaction() as session:
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
        self._access_changed()
        return issued

    def revoke_token(self, token_id: str) -> None:
        """Revoke a token; it stops working at once.

        Raises:
            NotFound: when no token has this id.
            Conflict: when it is already revoked.
        """
        with self._transaction() as session:
            row = session.get(TokenRow, token_id)
            if row is None:
                raise NotFound(f"no token with id {token_id!r}", token_id=token_id)
            if row.revoked_at is not None:
                raise Conflict(f"token {token_id!r} is already revoked", token_id=token_id)
            row.revoked_at = utc_now()
        self._access_changed()

    def list_tokens(
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
        now = utc_now()
        with self._transaction() as session:
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
        return self.verify_token(token).principal

    def verify_token(self, token: str | None) -> AuthenticatedToken:
        """Check a bearer token and return its principal and expiry.

        Records the use in ``last_used_at`` (at most once a minute per token).

        Raises:
            NotAuthenticated: when the token is missing, malformed, unknown,
                expired or revoked, or its principal is disabled.
        """
        parsed = parse_token(token)
        now = utc_now()
        with self._transaction() as session:
            found = session.execute(
                select(TokenRow, PrincipalRow)
                .join(PrincipalRow, PrincipalRow.id == TokenRow.principal_id)
                .where(TokenRow.id == parsed.token_id)
            ).first()
            if found is None or not hash_matches(parsed.token, found[0].token_hash):
                raise NotAuthenticated("unknown bearer token", reason="unknown")
            token_row, owner = found
            _check_usable(token_row, owner, now)
            _record_use(token_row, now)
            groups = groups_of(session, owner.id)
        principal = Principal(
            id=owner.id,
            name=owner.name,
            kind=owner.kind,
            groups=groups,
            entity_filter=_frozen_filter(token_row.entity_filter),
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
        entity_filter=_frozen_filter(row.entity_filter),
    )


def _record_use(token: TokenRow, now: dt.datetime) -> None:
    """Set ``last_used_at``, unless it was set less than a minute ago (saves a write)."""
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now


def _checked_expiry(expires_at: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """Return the expiry time in UTC, refusing naive or past ones.

    Raises:
        InvalidInput: when ``expires_at`` has no time zone or is not in the future.
    """
    expires_at = to_utc(expires_at, "expires_at")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(
            f"expires_at {expires_at.isoformat()} is in the past", field="expires_at"
        )
    return expires_at


def _entity_filter_document(
    entity_filter: Mapping[str, int | str] | None,
) -> dict[str, int | str] | None:
    """Validate an entity filter and return it as a plain JSON object.

    Raises:
        InvalidInput: when it is empty or a key or value has the wrong type.
    """
    if entity_filter is None:
        return None
    if not entity_filter:
        raise InvalidInput("entity_filter must name at least one entity", field="entity_filter")
    for key, value in entity_filter.items():
        valid_value = isinstance(value, int | str) and not isinstance(value, bool)
        if not isinstance(key, str) or not key or not valid_value:
            raise InvalidInput(
                f"entity_filter entry {key!r}: {value!r} must map a name to an int or str",
                field="entity_filter",
            )
    return dict(entity_filter)


def _frozen_filter(document: dict[str, int | str] | None) -> Mapping[str, int | str] | None:
    """A read-only view of a token's entity filter."""
    return None if document is None else MappingProxyType(dict(document))


def _check_usable(token: TokenRow, principal: PrincipalRow, now: dt.datetime) -> None:
    """Refuse revoked and expired tokens and disabled principals.

    Raises:
        NotAuthenticated: naming which of these applies.
    """
    if token.revoked_at is not None:
        raise NotAuthenticated("bearer token was revoked", reason="revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated("bearer token has expired", reason="expired")
    if principal.disabled:
        raise NotAuthenticated(f"principal {principal.name!r} is disabled", reason="disabled")
